"""Durable polling state of Layers jobs. Flushing Redis loses nothing: the schedule lives here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agent.store.dialect import insert
from agent.store.models import Job

POLL_LEASE_S = 60  # a claimed row is invisible to other pollers this long; a dead poller's rows come back


def track(
    session: Session,
    *,
    job_id: str,
    kind: str,
    customer_id: int,
    now: datetime,
    first_poll_s: float,
    timeout_s: float,
    clone_id: int | None = None,
    commission_id: int | None = None,
) -> None:
    """Start following a job (a no-op when it is already followed: the submission was replayed)."""
    statement = (
        insert(session, Job)
        .values(
            job_id=job_id,
            kind=kind,
            customer_id=customer_id,
            clone_id=clone_id,
            commission_id=commission_id,
            status="running",
            poll_interval_s=first_poll_s,
            next_poll_at=now + timedelta(seconds=first_poll_s),
            deadline_at=now + timedelta(seconds=timeout_s),
        )
        .on_conflict_do_nothing(index_elements=["job_id"])
    )
    session.execute(statement)


def claim_due(session: Session, *, now: datetime, limit: int) -> list[Job]:
    """Lease the running jobs whose next poll is due; concurrent pollers skip each other's rows."""
    rows = list(
        session.scalars(
            select(Job)
            .where(
                Job.status == "running",
                Job.next_poll_at <= now,
                or_(Job.lease_until.is_(None), Job.lease_until < now),
            )
            .order_by(Job.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for job in rows:
        job.lease_until = now + timedelta(seconds=POLL_LEASE_S)
    return rows


def reschedule(job: Job, *, now: datetime, multiplier: float, max_interval_s: float, jitter_s: float) -> None:
    """Back off the next poll (x multiplier, capped, plus jitter) as the docs recommend."""
    job.poll_attempts += 1
    job.last_polled_at = now
    job.poll_interval_s = min(job.poll_interval_s * multiplier, max_interval_s)
    job.next_poll_at = now + timedelta(seconds=job.poll_interval_s + jitter_s)
    job.lease_until = None


def finish(
    job: Job,
    *,
    status: str,
    now: datetime,
    result: dict[str, Any] | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    job.status = status
    job.poll_attempts += 1
    job.last_polled_at = now
    job.finished_at = now
    job.lease_until = None
    job.result = result
    job.error_code = error_code
    job.error_message = error_message


def running(session: Session, *, customer_id: int | None = None) -> list[Job]:
    query = select(Job).where(Job.status == "running")
    if customer_id is not None:
        query = query.where(Job.customer_id == customer_id)
    return list(session.scalars(query))
