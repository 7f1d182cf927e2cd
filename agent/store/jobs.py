"""Durable polling state of Layers jobs. Flushing Redis loses nothing: the schedule lives here."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agent.domain.records import DueJob, JobEnd, NextPoll
from agent.domain.vocabulary import JobStatus, LoopName, WorkKind, WorkStatus
from agent.store import clones, work
from agent.store.models import Clone, Commission, Job


def claim_due(session: Session, *, now: datetime, limit: int, lease_s: float) -> list[DueJob]:
    """Lease the running jobs whose next poll is due; concurrent pollers skip each other's rows."""
    rows = list(
        session.scalars(
            select(Job)
            .where(
                Job.status == JobStatus.RUNNING,
                Job.next_poll_at <= now,
                or_(Job.lease_until.is_(None), Job.lease_until < now),
            )
            .order_by(Job.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    due = []
    for job in rows:
        job.lease_until = now + timedelta(seconds=lease_s)
        owner = (
            session.get_one(Clone, job.clone_id)
            if job.clone_id
            else session.get_one(Commission, job.commission_id)
        )
        due.append(
            DueJob(
                id=job.id,
                job_id=job.job_id,
                kind=WorkKind(job.kind),
                work_id=owner.id,
                customer_id=job.customer_id,
                loop=LoopName(owner.loop),
                etag=job.etag,
                deadline_at=job.deadline_at,
                container_id=owner.container_id,
            )
        )
    return due


def reschedule(session: Session, *, job_row_id: int, poll: NextPoll) -> None:
    """Back off the next poll (x multiplier, capped, plus jitter) as the docs recommend."""
    job = session.get_one(Job, job_row_id)
    if poll.stage is not None:
        job.stage = poll.stage
    if poll.progress is not None:
        job.progress = poll.progress
    if poll.etag:
        job.etag = poll.etag
    job.poll_attempts += 1
    job.last_polled_at = poll.now
    job.poll_interval_s = min(job.poll_interval_s * poll.multiplier, poll.max_interval_s)
    job.next_poll_at = poll.now + timedelta(seconds=job.poll_interval_s + poll.jitter_s)
    job.lease_until = None


def finish(session: Session, *, job_row_id: int, end: JobEnd) -> float:
    """Record the job's end on the job row and on the work it belongs to, together; returns its duration."""
    job = session.get_one(Job, job_row_id)
    now = end.now
    job.status, job.finished_at, job.last_polled_at, job.lease_until = end.status, now, now, None
    job.poll_attempts += 1
    job.result, job.error_code, job.error_message = end.result, end.error_code, end.error_message
    kind = WorkKind(job.kind)
    work_id = job.clone_id if kind is WorkKind.CLONE else job.commission_id
    if work_id is None:
        raise ValueError(f"job {job.job_id} belongs to no {kind}")
    work.finish(
        session,
        kind=kind,
        work_id=work_id,
        status=WorkStatus(end.status),
        now=now,
        error_code=end.error_code,
        error_message=end.error_message,
    )
    if kind is WorkKind.CLONE:
        clones.set_approval_status(session, clone_id=work_id, approval_status=end.approval_status)
    return (now - job.created_at).total_seconds()


def running_count(session: Session, *, customer_id: int | None = None) -> int:
    query = select(func.count()).select_from(Job).where(Job.status == JobStatus.RUNNING)
    if customer_id is not None:
        query = query.where(Job.customer_id == customer_id)
    return session.scalars(query).one()
