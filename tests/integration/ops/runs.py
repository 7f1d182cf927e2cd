"""Runs in the states ops find them in the morning, each reached through the store functions the runner
uses (claimed, planned, finished, released, failed, or handed to the queue), never written by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from agent.domain.vocabulary import LoopName
from agent.store import dispatch, runs

LEASE_S = 300


def succeeded(
    session: Session,
    *,
    customer_id: int,
    loop: LoopName,
    started: datetime,
    planned: datetime,
    took: timedelta,
    rule_version: str,
) -> int:
    """Claimed at `started`, planned, and finished `took` later, on its first attempt."""
    run_id = _ensure(session, customer_id, loop, started.date())
    runs.claim(session, run_id=run_id, now=started, lease_s=LEASE_S, max_attempts=1)
    runs.mark_planned(session, run_id=run_id, now=planned, rule_version=rule_version)
    runs.finish(session, run_id=run_id, now=started + took)
    return run_id


def failed(
    session: Session,
    *,
    customer_id: int,
    loop: LoopName,
    started: datetime,
    took: timedelta,
    attempts: int,
    error: str,
) -> int:
    """Released after each failed attempt (five minutes apart), then failed for good `took` into its
    last one, which started at `started`; it never got as far as a plan."""
    run_id = _ensure(session, customer_id, loop, started.date())
    for earlier in range(attempts - 1, -1, -1):
        claimed = started - timedelta(minutes=5 * earlier)
        runs.claim(session, run_id=run_id, now=claimed, lease_s=LEASE_S, max_attempts=attempts)
        if earlier:
            runs.release(session, run_id=run_id, error=error, give_back_attempt=False)
    runs.fail(session, run_id=run_id, now=started + took, error=error)
    return run_id


def queued(session: Session, *, customer_id: int, loop: LoopName, now: datetime) -> int:
    """Due today and handed to the queue at `now`, not picked up by a worker yet."""
    run_id = _ensure(session, customer_id, loop, now.date())
    dispatch.mark_sent(session, run_ids=[run_id], now=now)
    return run_id


def _ensure(session: Session, customer_id: int, loop: LoopName, local_date: date) -> int:
    return runs.ensure(session, customer_id=customer_id, loop=loop, local_date=local_date).id
