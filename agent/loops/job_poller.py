"""The job poller: a periodic tick that polls every due Layers job and records how it ended.

Chosen over per-job task retries because the polling state then lives only in PostgreSQL: a flushed
Redis or a dead worker loses nothing, no message waits out a long countdown (celery#2599), ops can see
every job in flight, and many jobs share one tick instead of one queued message each.
"""

from __future__ import annotations

import random

from structlog.contextvars import bound_contextvars

from agent.domain.decisions import NewDecision, Subject
from agent.domain.evidence import Failure
from agent.domain.records import DueJob, JobEnd, NextPoll
from agent.domain.vocabulary import JOB_TERMINAL, Action, JobStatus, Reason, SubjectType
from agent.layers import errors
from agent.layers.models import JobPoll
from agent.logging import get_logger
from agent.loops import job_endings
from agent.loops.failures import TRANSIENT
from agent.loops.ports import Deps
from agent.observability import JOB_POLL_LATENCY

log = get_logger(__name__)

POLL_LEASE_S = 60  # a claimed job is invisible to other pollers this long; a dead poller's jobs come back
POLL_JITTER_S = 0.5


def poll_due(deps: Deps, *, limit: int | None = None) -> int:
    """Poll each job whose next poll is due; returns how many were polled."""
    with deps.store() as store:
        due = store.claim_due_jobs(
            now=deps.now(), limit=limit or deps.settings.poller_batch_size, lease_s=POLL_LEASE_S
        )
    for job in due:
        with bound_contextvars(job_id=job.job_id, customer_id=job.customer_id, loop=str(job.loop)):
            poll_one(deps, job)
    return len(due)


def poll_one(deps: Deps, due: DueJob) -> None:
    now = deps.now()
    if now >= due.deadline_at:
        job_endings.record_end(deps, due, JobEnd(JobStatus.TIMED_OUT, now, error_code="JOB_TIMEOUT"))
        return
    try:
        with JOB_POLL_LATENCY.time():
            poll = deps.client.get_job(due.job_id, etag=due.etag)
    except TRANSIENT:
        _reschedule(deps, due, None)
        return
    except errors.ContractError as exc:
        _malformed(deps, due, exc)
        _reschedule(deps, due, None)
        return
    except errors.NotFound as exc:
        job_endings.record_end(
            deps, due, JobEnd(JobStatus.FAILED, now, error_code=exc.code, error_message=str(exc))
        )
        return
    job = poll.job
    if poll.not_modified or job is None or job.status not in JOB_TERMINAL:
        _reschedule(deps, due, poll)
        return
    status = JobStatus(job.status)
    approval = job_endings.approval_status(deps, due) if status is JobStatus.COMPLETED else None
    error = job.error
    job_endings.record_end(
        deps,
        due,
        JobEnd(
            status=status,
            now=now,
            result=job.result if isinstance(job.result, dict) else None,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            approval_status=approval,
        ),
    )
    log.info("job_finished", status=status)


def _reschedule(deps: Deps, due: DueJob, poll: JobPoll | None) -> None:
    settings, job = deps.settings, poll.job if poll is not None else None
    with deps.store() as store:
        store.reschedule_job(
            job_row_id=due.id,
            poll=NextPoll(
                now=deps.now(),
                multiplier=settings.job_poll_multiplier,
                max_interval_s=settings.job_poll_max_s,
                jitter_s=random.uniform(0, POLL_JITTER_S),
                stage=job.stage if job is not None else None,
                progress=job.progress if job is not None else None,
                etag=poll.etag if poll is not None else None,
            ),
        )


def _malformed(deps: Deps, due: DueJob, exc: errors.ContractError) -> None:
    """A malformed job response is recorded once per job, and polling goes on until the deadline."""
    with deps.store() as store:
        store.record_decision(
            NewDecision(
                customer_id=due.customer_id,
                loop=due.loop,
                action=Action.ERROR,
                reason=Reason.MALFORMED_RESPONSE,
                subject=Subject(SubjectType.JOB, due.job_id),
                evidence=Failure(message=str(exc), endpoint=exc.endpoint, field=exc.field),
                dedupe_key=f"job:{due.job_id}:malformed",
            )
        )
