"""Set-based scheduling queries: a tick costs a handful of statements whatever the number of customers.

The pure rule (`agent.rules.schedule`) is evaluated once per distinct (timezone, run time) pair, never
per customer; the due pairs are then joined against every customer in one INSERT … SELECT … ON
CONFLICT DO NOTHING. The unique (customer, loop, local_date) key makes a second beat, a redelivery or a
catch-up tick harmless.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, String, Time, and_, exists, literal, or_, select, union_all, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from agent.domain.vocabulary import RUN_ENDED, LoopName, RunStatus, Trigger
from agent.rules.schedule import due_local_date, weekly_due
from agent.store.dialect import insert
from agent.store.models import Customer, Run

PAIRS_PER_STATEMENT = 1000  # keeps each statement's literal table small even with many distinct pairs


def due_pairs(session: Session, *, now: datetime, weekday: int | None = None) -> list[tuple[str, time, date]]:
    """(timezone, run_at, local date) for every distinct pair of enabled customers whose run is due."""
    pairs = session.execute(
        select(Customer.timezone, Customer.run_at).where(Customer.enabled.is_(True)).distinct()
    ).tuples()
    due = []
    for tz, run_at in pairs:
        day = due_local_date(now, tz, run_at) if weekday is None else weekly_due(now, tz, run_at, weekday)
        if day is not None:
            due.append((tz, run_at, day))
    return due


def create_due_runs(
    session: Session,
    *,
    loop: LoopName,
    now: datetime,
    weekday: int | None = None,
    after: LoopName | None = None,
) -> int:
    """Create today's run for every enabled customer whose local run time has passed; returns how many.

    `after` names a loop whose run for the same local date must have ended first (optimization reads
    what publish-to-learn just did).
    """
    created = 0
    for chunk in _chunks(due_pairs(session, now=now, weekday=weekday), PAIRS_PER_STATEMENT):
        due_slots = union_all(
            *(
                select(
                    literal(tz, String).label("tz"),
                    literal(run_at, Time).label("run_at"),
                    literal(day, Date).label("local_date"),
                )
                for tz, run_at, day in chunk
            )
        ).cte("due_slots")
        due = (
            select(
                Customer.id,
                literal(str(loop), String),
                due_slots.c.local_date,
                literal(RunStatus.PENDING.value, String),
                literal(Trigger.SCHEDULE.value, String),
            )
            .join(due_slots, and_(Customer.timezone == due_slots.c.tz, Customer.run_at == due_slots.c.run_at))
            .where(Customer.enabled.is_(True))
        )
        if after is not None:
            earlier = aliased(Run)
            due = due.where(
                exists().where(
                    earlier.customer_id == Customer.id,
                    earlier.loop == after,
                    earlier.local_date == due_slots.c.local_date,
                    earlier.status.in_(RUN_ENDED),
                )
            )
        statement = (
            insert(session, Run)
            .from_select(["customer_id", "loop", "local_date", "status", "trigger"], due)
            .on_conflict_do_nothing(index_elements=["customer_id", "loop", "local_date"])
            .returning(Run.id)
        )
        created += len(session.execute(statement).all())
    return created


def _chunks(items: Sequence[tuple[str, time, date]], size: int) -> Iterator[Sequence[tuple[str, time, date]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lock_unsent(
    session: Session,
    *,
    now: datetime,
    resend_after_s: int | None,
    limit: int,
    lost: Sequence[int] = (),
) -> list[int]:
    """Lock runs to (re)send: never sent, queued but their message is lost, or abandoned mid-run.

    A queued run is resent when it is in `lost` (the broker lost its message: Redis flushed, or the worker
    holding it died), or, where nothing can tell (`resend_after_s` set: the embedded broker), once it has
    waited that long. Oldest first, so a burst queues in order and no customer's run waits behind another's
    backlog. The caller sends, then calls `mark_sent` in the same transaction (an outbox): a crash before
    the commit leaves the runs unsent for the next sweep, never lost.
    """
    queued_lost: list[ColumnElement[bool]] = [Run.enqueued_at.is_(None)]
    if resend_after_s is not None:
        queued_lost.append(Run.enqueued_at < now - timedelta(seconds=resend_after_s))
    if lost:
        queued_lost.append(Run.id.in_(list(lost)))
    return list(
        session.scalars(
            select(Run.id)
            .where(
                or_(
                    Run.status == RunStatus.PENDING,
                    and_(Run.status == RunStatus.QUEUED, or_(*queued_lost)),
                    and_(Run.status == RunStatus.RUNNING, Run.lease_until < now),
                )
            )
            .order_by(Run.created_at, Run.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def lock_pending(session: Session, *, run_ids: Sequence[int]) -> list[int]:
    """Lock these runs if they are still unsent (a hand-off sends its run right after its commit)."""
    if not run_ids:
        return []
    return list(
        session.scalars(
            select(Run.id)
            .where(Run.id.in_(list(run_ids)), Run.status == RunStatus.PENDING)
            .order_by(Run.id)
            .with_for_update(skip_locked=True)
        )
    )


def queued_ids(session: Session, *, limit: int) -> list[int]:
    """The runs whose message should be in the broker now: the sweeper asks the broker about them."""
    return list(
        session.scalars(select(Run.id).where(Run.status == RunStatus.QUEUED).order_by(Run.id).limit(limit))
    )


def mark_sent(session: Session, *, run_ids: list[int], now: datetime) -> None:
    if run_ids:
        session.execute(
            update(Run)
            .where(Run.id.in_(run_ids))
            .values(status=RunStatus.QUEUED, enqueued_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )
