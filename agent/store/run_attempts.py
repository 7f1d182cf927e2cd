"""Every attempt at a run, with how it ended and its error: `runs.error` only keeps the last one.

Written by the run's own claim, release, fail and finish (`agent.store.runs`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from agent.domain.vocabulary import AttemptOutcome
from agent.store.models import RunAttempt

LEASE_LAPSED = "the worker stopped before the attempt ended (its lease lapsed)"


def started(session: Session, *, run_id: int, attempt: int, now: datetime) -> None:
    """A worker claimed the run; an attempt still open lost its worker (the run was taken over)."""
    _end_open(session, run_id, AttemptOutcome.ABANDONED, now=now, error=LEASE_LAPSED)
    session.add(RunAttempt(run_id=run_id, attempt=attempt, started_at=now, outcome=AttemptOutcome.RUNNING))


def ended(
    session: Session, *, run_id: int, outcome: AttemptOutcome, now: datetime | None, error: str | None = None
) -> None:
    _end_open(session, run_id, outcome, now=now, error=error)


def given_back(session: Session, *, run_id: int) -> None:
    """A wait for the shared quota gave its attempt back: it was not an attempt at all."""
    session.execute(
        delete(RunAttempt)
        .where(RunAttempt.run_id == run_id, RunAttempt.outcome == AttemptOutcome.RUNNING)
        .execution_options(synchronize_session=False)
    )


def _end_open(
    session: Session, run_id: int, outcome: AttemptOutcome, *, now: datetime | None, error: str | None
) -> None:
    session.execute(
        update(RunAttempt)
        .where(RunAttempt.run_id == run_id, RunAttempt.outcome == AttemptOutcome.RUNNING)
        .values(outcome=outcome, ended_at=now, error=error)
        .execution_options(synchronize_session=False)
    )


def of_runs(session: Session, *, run_ids: Iterable[int]) -> dict[int, list[RunAttempt]]:
    """Each run's attempts, first first."""
    found: dict[int, list[RunAttempt]] = {}
    ids = list(run_ids)
    if not ids:
        return found
    query = (
        select(RunAttempt).where(RunAttempt.run_id.in_(ids)).order_by(RunAttempt.started_at, RunAttempt.id)
    )
    for attempt in session.scalars(query):
        found.setdefault(attempt.run_id, []).append(attempt)
    return found
