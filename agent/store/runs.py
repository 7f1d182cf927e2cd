"""Runs: exactly one per (customer, loop, local date), claimed by one worker at a time through a lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from agent.store.dialect import insert
from agent.store.models import Run

CLAIMABLE = ("pending", "queued")


def ensure(
    session: Session, *, customer_id: int, loop: str, local_date: date, trigger: str = "schedule"
) -> Run:
    """The run for this customer, loop and local date, created if it does not exist yet."""
    statement = (
        insert(session, Run)
        .values(customer_id=customer_id, loop=loop, local_date=local_date, status="pending", trigger=trigger)
        .on_conflict_do_nothing(index_elements=["customer_id", "loop", "local_date"])
    )
    session.execute(statement)
    return session.scalars(
        select(Run).where(Run.customer_id == customer_id, Run.loop == loop, Run.local_date == local_date)
    ).one()


def get(session: Session, run_id: int) -> Run:
    return session.get_one(Run, run_id)


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to take a run: `run` is set only when this worker now owns it."""

    run: Run | None
    reason: str


def claim(session: Session, run_id: int, *, now: datetime, lease_s: int, max_attempts: int) -> Claim:
    """Take the run if it is waiting, or if its previous owner's lease lapsed; count the attempt.

    A single conditional UPDATE decides ownership, so two workers handed the same run (a duplicate
    delivery, two beats) cannot both own it.
    """
    current = session.get(Run, run_id)
    if current is None:
        return Claim(None, "unknown_run")
    if current.status in ("succeeded", "failed"):
        return Claim(None, f"already_{current.status}")
    if current.attempts >= max_attempts:
        session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status.not_in(("succeeded", "failed")))
            .values(
                status="failed",
                finished_at=now,
                error=f"gave up after {current.attempts} attempts; last error: {current.error}",
            )
        )
        return Claim(None, "attempts_exhausted")
    result = session.execute(
        update(Run)
        .where(
            Run.id == run_id,
            or_(
                Run.status.in_(CLAIMABLE),
                (Run.status == "running") & or_(Run.lease_until.is_(None), Run.lease_until < now),
            ),
        )
        .values(
            status="running",
            attempts=Run.attempts + 1,
            started_at=now,
            lease_until=now + timedelta(seconds=lease_s),
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return Claim(None, "held_by_another_worker")
    session.refresh(current)
    return Claim(current, "claimed")


def mark_planned(session: Session, run: Run, *, now: datetime, rule_version: str) -> None:
    run.planned_at = now
    run.rule_version = rule_version


def finish(session: Session, run_id: int, *, now: datetime) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(status="succeeded", finished_at=now, lease_until=None, error=None)
    )


def fail(session: Session, run_id: int, *, now: datetime, error: str) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(status="failed", finished_at=now, lease_until=None, error=error)
    )


def release(session: Session, run_id: int, *, error: str) -> None:
    """Give a run back to the queue after a transient failure; its attempt stays counted."""
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "running")
        .values(status="queued", lease_until=None, error=error)
    )
