"""Durable polling state of Layers jobs. Flushing Redis loses nothing: the schedule lives here.

A job is `running` until a poll (or a webhook) sees it end. A poll after its deadline that still finds it
running records it `timed_out`, and it is then polled now and then until `reconcile_until`: if Layers
later says how it ended, the job and its work take that end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from agent.domain.records import DueJob, FollowedJob, JobEnd, NextPoll
from agent.domain.vocabulary import JOB_TERMINAL, JobStatus, LoopName, WorkKind, WorkStatus
from agent.store import clones, decisions, work
from agent.store.models import Clone, Commission, Job


def _due(session: Session, job: Job) -> DueJob:
    """The poller's (or a webhook's) view of a job it holds, with the work it belongs to."""
    owner: Clone | Commission = (
        session.get_one(Clone, job.clone_id)
        if job.clone_id
        else session.get_one(Commission, job.commission_id)
    )
    return DueJob(
        id=job.id,
        job_id=job.job_id,
        kind=WorkKind(job.kind),
        work_id=owner.id,
        customer_id=job.customer_id,
        loop=LoopName(owner.loop),
        etag=job.etag,
        deadline_at=job.deadline_at,
        container_id=owner.container_id,
        status=JobStatus(job.status),
        polls=job.poll_attempts,
        interval_s=job.poll_interval_s,
        decision_id=owner.decision_id,
        timeout_decision_id=job.timeout_decision_id,
    )


def claim_due(session: Session, *, now: datetime, limit: int, lease_s: float) -> list[DueJob]:
    """Lease the jobs whose next poll is due, running or still being reconciled after a timeout;
    concurrent pollers skip each other's rows."""
    rows = list(
        session.scalars(
            select(Job)
            .where(
                Job.next_poll_at <= now,
                or_(Job.lease_until.is_(None), Job.lease_until < now),
                or_(
                    Job.status == JobStatus.RUNNING,
                    and_(Job.status == JobStatus.TIMED_OUT, Job.reconcile_until >= now),
                ),
            )
            .order_by(Job.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for job in rows:
        job.lease_until = now + timedelta(seconds=lease_s)
    return [_due(session, job) for job in rows]


def reschedule(session: Session, *, job_row_id: int, poll: NextPoll) -> None:
    """When to poll next, and what the poll saw (nothing, when none could be made for want of quota)."""
    job = session.get_one(Job, job_row_id)
    if poll.stage is not None:
        job.stage = poll.stage
    if poll.progress is not None:
        job.progress = poll.progress
    if poll.etag:
        job.etag = poll.etag
    if poll.polled:
        job.poll_attempts += 1
        job.last_polled_at = poll.now
    job.poll_interval_s = poll.interval_s
    job.next_poll_at = poll.at
    job.lease_until = None


def finish(session: Session, *, job_row_id: int, end: JobEnd) -> float | None:
    """Record the job's end on the job row, on the work it belongs to and (a timeout, a reconciliation)
    as a decision, together; returns how long it ran, or None when it had already ended (a webhook and a
    poll, or two deliveries, never end it twice).

    A timeout is not an end at Layers: the work is `timed_out` (a clone keeps its slot) and the job is
    still reconciled. A terminal answer for a timed-out job replaces the timeout, on the work too.
    """
    job = session.scalars(select(Job).where(Job.id == job_row_id).with_for_update()).one()
    if job.status in JOB_TERMINAL or (
        job.status == JobStatus.TIMED_OUT and end.status is JobStatus.TIMED_OUT
    ):
        return None
    now = end.now
    job.status, job.finished_at, job.last_polled_at, job.lease_until = end.status, now, now, None
    job.poll_attempts += 1
    job.result, job.error_code, job.error_message = end.result, end.error_code, end.error_message
    ran_s = (now - job.created_at).total_seconds()
    decision_id = decisions.record(session, end.decision) if end.decision is not None else None
    if end.status is JobStatus.TIMED_OUT:
        job.timeout_decision_id = decision_id
        job.reconcile_until = end.reconcile_until
        job.next_poll_at = end.next_poll_at or now
    else:
        job.duration_s = end.duration_s if end.duration_s is not None else ran_s
        job.reconcile_until = None
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
    if kind is WorkKind.CLONE and end.approval_status is not None:
        clones.set_approval_status(session, clone_id=work_id, approval_status=end.approval_status)
    return ran_s


def recent_durations(session: Session, *, kind: WorkKind, limit: int) -> list[float]:
    """How long the latest completed jobs of this kind ran (Layers' own duration when it said)."""
    return list(
        session.scalars(
            select(Job.duration_s)
            .where(Job.kind == kind, Job.status == JobStatus.COMPLETED, Job.duration_s.is_not(None))
            .order_by(Job.finished_at.desc())
            .limit(limit)
        )
    )


def followed_job(session: Session, *, job_id: str, now: datetime, lease_s: float) -> FollowedJob | None:
    """A webhook's view of a Layers job (issue 11): leased like a poll claim when it has not ended (running,
    or timed out and so still to reconcile) and no poller holds it, so a webhook and a poller never end it
    together; None when the agent does not follow it."""
    job = session.scalars(select(Job).where(Job.job_id == job_id).with_for_update(skip_locked=True)).first()
    if job is None:  # unknown, or locked by a poller's claim this instant
        known = session.scalars(select(Job.status).where(Job.job_id == job_id)).first()
        return None if known is None else FollowedJob(None, JobStatus(known))
    if job.status in JOB_TERMINAL or (job.lease_until is not None and job.lease_until >= now):
        return FollowedJob(None, JobStatus(job.status))
    job.lease_until = now + timedelta(seconds=lease_s)
    return FollowedJob(_due(session, job), JobStatus(job.status))


def running_count(session: Session, *, customer_id: int | None = None) -> int:
    query = select(func.count()).select_from(Job).where(Job.status == JobStatus.RUNNING)
    if customer_id is not None:
        query = query.where(Job.customer_id == customer_id)
    return session.scalars(query).one()
