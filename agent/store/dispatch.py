"""Set-based scheduling queries: a tick costs a handful of statements whatever the number of customers.

Local time is computed once per distinct timezone, then joined against every customer in one
INSERT … SELECT … ON CONFLICT DO NOTHING. The comparison `run_at <= local wall time` is the set-based
form of `agent.rules.schedule.due_local_date` (a test holds the two to the same answers, across DST).
The unique (customer, loop, local_date) key makes a second beat, a redelivery or a catch-up tick harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, Time, and_, exists, literal, or_, select, union_all, update
from sqlalchemy.orm import Session, aliased

from agent.store.dialect import insert
from agent.store.models import Customer, Run


def create_due_runs(
    session: Session, *, loop: str, now: datetime, weekday: int | None = None, after: str | None = None
) -> int:
    """Create today's run for every enabled customer whose local run time has passed; returns how many.

    `after` names a loop whose run for the same local date must have ended first (optimization reads
    what publish-to-learn just did).
    """
    clocks = []
    for tz in session.scalars(select(Customer.timezone).where(Customer.enabled.is_(True)).distinct()):
        local = now.astimezone(ZoneInfo(tz))
        if weekday is None or local.weekday() == weekday:
            clocks.append((tz, local.date(), local.time().replace(tzinfo=None)))
    if not clocks:
        return 0
    local_clock = union_all(
        *(
            select(
                literal(tz, String).label("tz"),
                literal(day, Date).label("local_date"),
                literal(wall, Time).label("local_time"),
            )
            for tz, day, wall in clocks
        )
    ).cte("local_clock")
    due = (
        select(
            Customer.id,
            literal(loop, String),
            local_clock.c.local_date,
            literal("pending", String),
            literal("schedule", String),
        )
        .join(local_clock, Customer.timezone == local_clock.c.tz)
        .where(Customer.enabled.is_(True), Customer.run_at <= local_clock.c.local_time)
    )
    if after is not None:
        earlier = aliased(Run)
        due = due.where(
            exists().where(
                earlier.customer_id == Customer.id,
                earlier.loop == after,
                earlier.local_date == local_clock.c.local_date,
                earlier.status.in_(("succeeded", "failed")),
            )
        )
    statement = (
        insert(session, Run)
        .from_select(["customer_id", "loop", "local_date", "status", "trigger"], due)
        .on_conflict_do_nothing(index_elements=["customer_id", "loop", "local_date"])
    )
    return session.execute(statement).rowcount or 0


def lock_unsent(session: Session, *, now: datetime, resend_after_s: int, limit: int) -> list[int]:
    """Lock runs to (re)send: never sent, sent so long ago the message must be lost, or abandoned mid-run.

    Oldest first, so a burst queues in order and no customer's run waits behind another's backlog. The
    caller sends, then calls `mark_sent` in the same transaction (an outbox): a crash before the commit
    leaves the runs unsent for the next sweep, never lost.
    """
    resend_before = now - timedelta(seconds=resend_after_s)
    return list(
        session.scalars(
            select(Run.id)
            .where(
                or_(
                    Run.status == "pending",
                    and_(
                        Run.status == "queued",
                        or_(Run.enqueued_at.is_(None), Run.enqueued_at < resend_before),
                    ),
                    and_(Run.status == "running", Run.lease_until < now),
                )
            )
            .order_by(Run.created_at, Run.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def mark_sent(session: Session, run_ids: list[int], *, now: datetime) -> None:
    if run_ids:
        session.execute(
            update(Run)
            .where(Run.id.in_(run_ids))
            .values(status="queued", enqueued_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )
