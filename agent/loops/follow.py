"""The job follower: a periodic tick that polls every due Layers job and records how it ended.

Chosen over per-job task retries because the polling state then lives only in PostgreSQL: a flushed
Redis or a dead worker loses nothing, no message waits out a long countdown (celery#2599), ops can see
every job in flight, and many jobs share one tick instead of one queued message each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from agent.layers import errors
from agent.layers.models import JobPoll
from agent.logging import get_logger
from agent.loops.failures import TRANSIENT
from agent.observability import CLONE_OUTCOMES, JOB_DURATION, JOB_POLL_LATENCY
from agent.services import Services
from agent.store import clones, jobs
from agent.store.decisions import NewDecision, record
from agent.store.models import Clone, Commission, Job

log = get_logger(__name__)

TERMINAL = ("completed", "failed", "canceled")
POLL_JITTER_S = 0.5


@dataclass(frozen=True)
class Due:
    id: int
    job_id: str
    etag: str | None
    deadline_at: datetime
    customer_id: int


def poll_due(services: Services, *, limit: int | None = None) -> int:
    """Poll each job whose next poll is due; returns how many were polled."""
    now = services.now()
    with services.db.session() as session:
        due = [
            Due(job.id, job.job_id, job.etag, job.deadline_at, job.customer_id)
            for job in jobs.claim_due(session, now=now, limit=limit or services.settings.poller_batch_size)
        ]
    for job in due:
        poll_one(services, job)
    return len(due)


def poll_one(services: Services, due: Due) -> None:
    now = services.now()
    if now >= due.deadline_at:
        _finish(services, due, status="timed_out", now=now, error_code="JOB_TIMEOUT")
        return
    try:
        with JOB_POLL_LATENCY.time():
            poll = services.client.get_job(due.job_id, etag=due.etag)
    except TRANSIENT:
        _reschedule(services, due, now=now)
        return
    except errors.ContractError as exc:
        _malformed(services, due, exc)
        _reschedule(services, due, now=now)
        return
    except errors.NotFound as exc:
        _finish(services, due, status="failed", now=now, error_code=exc.code, error_message=str(exc))
        return
    if poll.not_modified or poll.job is None or poll.job.status not in TERMINAL:
        _reschedule(services, due, now=now, poll=poll)
        return
    job = poll.job
    error = job.error
    approval = _approval_status(services, due) if job.status == "completed" else None
    _finish(
        services,
        due,
        status=job.status,
        now=now,
        result=job.result if isinstance(job.result, dict) else None,
        error_code=error.code if error else None,
        error_message=error.message if error else None,
        approval_status=approval,
    )
    log.info("job_finished", job_id=due.job_id, status=job.status, customer_id=due.customer_id)


def _reschedule(services: Services, due: Due, *, now: datetime, poll: JobPoll | None = None) -> None:
    settings = services.settings
    with services.db.session() as session:
        job = session.get_one(Job, due.id)
        if poll is not None and poll.job is not None:
            job.stage = poll.job.stage
            job.progress = poll.job.progress
        if poll is not None and poll.etag:
            job.etag = poll.etag
        jobs.reschedule(
            job,
            now=now,
            multiplier=settings.job_poll_multiplier,
            max_interval_s=settings.job_poll_max_s,
            jitter_s=random.uniform(0, POLL_JITTER_S),
        )


def _finish(
    services: Services,
    due: Due,
    *,
    status: str,
    now: datetime,
    result: dict | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    approval_status: str | None = None,
) -> None:
    """Record the job's end on the job row and on the clone or commission it belongs to, together."""
    with services.db.session() as session:
        job = session.get_one(Job, due.id)
        jobs.finish(
            job, status=status, now=now, result=result, error_code=error_code, error_message=error_message
        )
        CLONE_OUTCOMES.labels(job.kind, status).inc()
        JOB_DURATION.observe((now - job.created_at).total_seconds())
        if job.clone_id is not None:
            clone = session.get_one(Clone, job.clone_id)
            clones.finish(
                session, clone, status=status, now=now, error_code=error_code, error_message=error_message
            )
            clone.approval_status = approval_status
        if job.commission_id is not None:
            commission = session.get_one(Commission, job.commission_id)
            commission.status = status
            commission.finished_at = now
            commission.error_code = error_code
            commission.error_message = error_message


def _approval_status(services: Services, due: Due) -> str | None:
    """Clones are held for the customer's approval: read the container's approvalStatus for ops."""
    with services.db.session() as session:
        job = session.get_one(Job, due.id)
        owner = (
            session.get(Clone, job.clone_id) if job.clone_id else session.get(Commission, job.commission_id)
        )
        container_id = owner.container_id if owner is not None else None
    if container_id is None:
        return None
    try:
        return services.client.get_content(container_id).approval_status
    except errors.LayersError as exc:
        log.warning("approval_status_unread", job_id=due.job_id, error=type(exc).__name__)
        return None


def _malformed(services: Services, due: Due, exc: errors.ContractError) -> None:
    """A malformed job response is recorded once per job, and polling goes on until the deadline."""
    with services.db.session() as session:
        job = session.get_one(Job, due.id)
        record(
            session,
            NewDecision(
                customer_id=due.customer_id,
                loop="publish_to_learn" if job.kind == "clone" else "optimization",
                action="error",
                reason="malformed_response",
                subject_type="job",
                subject_id=due.job_id,
                evidence={"endpoint": exc.endpoint, "field": exc.field, "message": str(exc)},
                dedupe_key=f"job:{due.job_id}:malformed",
            ),
        )
