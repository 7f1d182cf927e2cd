"""Runs: exactly one per (customer, loop, local date), claimed by one worker at a time through a lease."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from agent.domain.records import Claim, RunRecord
from agent.domain.vocabulary import RUN_CLAIMABLE, RUN_ENDED, AttemptOutcome, LoopName, RunStatus, Trigger
from agent.store import run_attempts
from agent.store.dialect import insert
from agent.store.models import Customer, Run


def to_record(run: Run) -> RunRecord:
    return RunRecord(
        id=run.id,
        customer_id=run.customer_id,
        loop=LoopName(run.loop),
        local_date=run.local_date,
        status=RunStatus(run.status),
        attempts=run.attempts,
        planned_at=run.planned_at,
        error=run.error,
    )


def ensure(
    session: Session,
    *,
    customer_id: int,
    loop: LoopName,
    local_date: date,
    trigger: Trigger = Trigger.SCHEDULE,
) -> RunRecord:
    """The run for this customer, loop and local date, created if it does not exist yet."""
    statement = (
        insert(session, Run)
        .values(
            customer_id=customer_id,
            loop=loop,
            local_date=local_date,
            status=RunStatus.PENDING,
            trigger=trigger,
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "loop", "local_date"])
    )
    session.execute(statement)
    run = session.scalars(
        select(Run).where(Run.customer_id == customer_id, Run.loop == loop, Run.local_date == local_date)
    ).one()
    return to_record(run)


def get(session: Session, *, run_id: int) -> RunRecord | None:
    run = session.get(Run, run_id)
    return to_record(run) if run is not None else None


def claim(session: Session, *, run_id: int, now: datetime, lease_s: int, max_attempts: int) -> Claim:
    """Take the run if it is waiting, or if its previous owner's lease lapsed; count the attempt.

    A single conditional UPDATE decides ownership, so two workers handed the same run (a duplicate
    delivery, two beats) cannot both own it.
    """
    current = session.get(Run, run_id)
    if current is None:
        return Claim(None, "unknown_run")
    if current.status in RUN_ENDED:
        return Claim(None, f"already_{current.status}")
    if current.attempts >= max_attempts:
        session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status.not_in(RUN_ENDED))
            .values(
                status=RunStatus.FAILED,
                finished_at=now,
                error=f"gave up after {current.attempts} attempts; last error: {current.error}",
            )
        )
        run_attempts.ended(
            session, run_id=run_id, outcome=AttemptOutcome.ABANDONED, now=now, error=run_attempts.LEASE_LAPSED
        )
        return Claim(None, "attempts_exhausted")
    result = session.execute(
        update(Run)
        .where(
            Run.id == run_id,
            or_(
                Run.status.in_(RUN_CLAIMABLE),
                (Run.status == RunStatus.RUNNING) & or_(Run.lease_until.is_(None), Run.lease_until < now),
            ),
        )
        .values(
            status=RunStatus.RUNNING,
            attempts=Run.attempts + 1,
            started_at=now,
            lease_until=now + timedelta(seconds=lease_s),
            error=None,
        )
        .returning(Run.id)
        .execution_options(synchronize_session=False)
    )
    if result.first() is None:
        return Claim(None, "held_by_another_worker")
    session.refresh(current)
    run_attempts.started(session, run_id=run_id, attempt=current.attempts, now=now)
    return Claim(to_record(current), "claimed")


def lock_unplanned(session: Session, *, run_id: int) -> RunRecord | None:
    """Lock the run for recording its plan; None when another attempt already recorded one."""
    run = session.scalars(select(Run).where(Run.id == run_id).with_for_update()).one()
    return None if run.planned_at is not None else to_record(run)


def mark_planned(session: Session, *, run_id: int, now: datetime, rule_version: str | None) -> None:
    """The recovery point: the run's decisions and minted ids are committed; a resume only sends."""
    session.execute(update(Run).where(Run.id == run_id).values(planned_at=now, rule_version=rule_version))


def finish(session: Session, *, run_id: int, now: datetime) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(status=RunStatus.SUCCEEDED, finished_at=now, lease_until=None, error=None)
    )
    run_attempts.ended(session, run_id=run_id, outcome=AttemptOutcome.SUCCEEDED, now=now)


def fail(session: Session, *, run_id: int, now: datetime, error: str) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(status=RunStatus.FAILED, finished_at=now, lease_until=None, error=error)
    )
    run_attempts.ended(session, run_id=run_id, outcome=AttemptOutcome.FAILED, now=now, error=error)


def release(session: Session, *, run_id: int, error: str, give_back_attempt: bool) -> None:
    """Give a run back to the queue after a transient failure.

    Waiting for the shared quota gives the attempt back: attempts cap runs that keep failing, and a
    burst of due customers queueing for the quota must not use them up.
    """
    values: dict[str, object] = {"status": RunStatus.QUEUED, "lease_until": None, "error": error}
    if give_back_attempt:
        values["attempts"] = Run.attempts - 1
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if give_back_attempt:
        run_attempts.given_back(session, run_id=run_id)
    else:
        run_attempts.ended(session, run_id=run_id, outcome=AttemptOutcome.DEFERRED, now=None, error=error)


def renew_leases(session: Session, *, run_ids: Sequence[int], now: datetime, lease_s: int) -> None:
    """The worker running these runs is alive: their leases run on (a dead worker's lapse within one)."""
    if run_ids:
        session.execute(
            update(Run)
            .where(Run.id.in_(list(run_ids)), Run.status == RunStatus.RUNNING)
            .values(lease_until=now + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False)
        )


def start_next(session: Session, *, run_id: int, loop: LoopName) -> int | None:
    """The hand-off between loops: the customer's `loop` run for the same local date as this scheduled
    run, created unsent (the outbox); its id when this call created it, None when it existed already, the
    ended run was not the schedule's (a manual run waits for the dispatcher) or the customer is paused."""
    ended = session.get_one(Run, run_id)
    if ended.trigger != Trigger.SCHEDULE:
        return None
    enabled = session.scalars(select(Customer.enabled).where(Customer.id == ended.customer_id)).one()
    if not enabled:
        return None
    statement = (
        insert(session, Run)
        .values(
            customer_id=ended.customer_id,
            loop=loop,
            local_date=ended.local_date,
            status=RunStatus.PENDING,
            trigger=Trigger.SCHEDULE,
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "loop", "local_date"])
        .returning(Run.id)
    )
    return session.execute(statement).scalar_one_or_none()
