"""The job poller: a periodic tick that polls every due Layers job and records how it ended.

Chosen over per-job task retries because the polling state then lives only in PostgreSQL: a flushed
Redis or a dead worker loses nothing, no message waits out a long countdown (celery#2599), ops can see
every job in flight, and many jobs share one tick instead of one queued message each.

It never abandons a job: a tick claims only what the polls' reserved share of the quota can poll within
the claim's lease, and polls the batch on a few threads; a job is timed out only by a poll made after its
deadline that still finds it running, and a timed-out job is still polled now and then until Layers says
how it ended (`job_endings`). The schedule is `agent.rules.polling`'s.
"""

from __future__ import annotations

import contextvars
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from structlog.contextvars import bound_contextvars

from agent.config import Settings
from agent.domain.decisions import NewDecision, Subject
from agent.domain.evidence import Failure
from agent.domain.records import DueJob, JobEnd, NextPoll
from agent.domain.vocabulary import JOB_TERMINAL, Action, JobStatus, Reason, SubjectType, WorkKind
from agent.layers import errors, quota
from agent.layers.models import Job, JobPoll
from agent.logging import get_logger
from agent.loops import job_endings
from agent.loops.failures import TRANSIENT
from agent.loops.ports import Deps, Store
from agent.observability import JOB_POLL_LATENCY
from agent.rules import polling

log = get_logger(__name__)

POLL_LEASE_S = 60  # a claimed job is invisible to other pollers this long; a dead poller's jobs come back
POLL_JITTER_S = 0.5
CLAIM_SHARE_OF_LEASE = 0.5  # a claim is what the polls' share can poll in half its lease


def schedule(settings: Settings) -> polling.PollSchedule:
    return polling.PollSchedule(
        initial_s=settings.job_poll_initial_s,
        multiplier=settings.job_poll_multiplier,
        max_s=settings.job_poll_max_s,
        backstop_s=settings.job_backstop_poll_s,
        reconcile_s=settings.job_reconcile_interval_s,
    )


def claim_size(settings: Settings) -> int:
    """How many jobs one tick takes: what the polls' share of read-light polls within the claim's lease."""
    rates = quota.QuotaRates.from_settings(settings)
    per_min = rates.job_polls_per_min() or float(settings.rate_read_per_min)
    fits = int(per_min / 60 * POLL_LEASE_S * CLAIM_SHARE_OF_LEASE)
    return max(1, min(settings.poller_batch_size, fits))


def first_poll_s(store: Store, settings: Settings, *, kind: WorkKind, now: datetime) -> float:
    """When a job just submitted is first polled: at the median duration of recent jobs of its kind."""
    expected = polling.expected_duration_s(store.recent_job_durations(kind=kind, limit=polling.RECENT_JOBS))
    healthy = polling.webhooks_healthy(store.last_webhook_received_at(), now, settings.webhook_fresh_s)
    return polling.first_delay_s(
        schedule(settings), expected_s=expected, healthy=healthy, timeout_s=settings.job_timeout_s
    )


def poll_due(deps: Deps, *, limit: int | None = None) -> int:
    """Poll each job whose next poll is due; returns how many were claimed."""
    now = deps.now()
    with deps.store() as store:
        due = store.claim_due_jobs(now=now, limit=limit or claim_size(deps.settings), lease_s=POLL_LEASE_S)
        healthy = polling.webhooks_healthy(
            store.last_webhook_received_at(), now, deps.settings.webhook_fresh_s
        )
    threads = min(deps.settings.poller_threads, len(due))
    if threads <= 1:
        for job in due:
            _poll_as_job_poll(deps, job, healthy)
        return len(due)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job-poll") as pool:
        # Each poll runs in a copy of this task's context (its log fields), its own per thread.
        futures = [
            pool.submit(contextvars.copy_context().run, _poll_as_job_poll, deps, job, healthy) for job in due
        ]
    for future in futures:
        future.result()  # a programming error in one poll still fails the tick loudly
    return len(due)


def _poll_as_job_poll(deps: Deps, due: DueJob, healthy: bool) -> None:
    with (
        quota.job_polls(),
        bound_contextvars(job_id=due.job_id, customer_id=due.customer_id, loop=str(due.loop)),
    ):
        poll_one(deps, due, healthy=healthy)


def poll_one(deps: Deps, due: DueJob, *, healthy: bool = False) -> None:
    """One poll; a running job is timed out only when this poll, made after its deadline, says so."""
    now = deps.now()
    try:
        with JOB_POLL_LATENCY.time():
            poll = deps.client.get_job(due.job_id, etag=due.etag)
    except errors.QuotaExhausted as exc:
        _reschedule(deps, due, now, None, delay_s=exc.retry_after_s, interval_s=due.interval_s, polled=False)
        return
    except TRANSIENT:
        _next(deps, due, now, None, healthy)
        return
    except errors.ContractError as exc:
        _malformed(deps, due, exc)
        _next(deps, due, now, None, healthy)
        return
    except errors.NotFound as exc:
        end = JobEnd(JobStatus.FAILED, now, error_code=exc.code, error_message=str(exc))
        job_endings.record_end(deps, due, end)
        return
    job = poll.job
    if poll.not_modified or job is None or job.status not in JOB_TERMINAL:
        if due.status is JobStatus.RUNNING and now >= due.deadline_at:
            _time_out(deps, due, now)
        else:
            _next(deps, due, now, poll, healthy)
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
            duration_s=_layers_duration_s(job),
        ),
    )
    log.info("job_finished", status=status)


def _layers_duration_s(job: Job) -> float | None:
    """Layers' own account of how long the job ran, which does not depend on when we looked."""
    if job.started_at is None or job.finished_at is None:
        return None
    return max(0.0, (job.finished_at - job.started_at).total_seconds())


def _time_out(deps: Deps, due: DueJob, now: datetime) -> None:
    settings = deps.settings
    end = JobEnd(
        JobStatus.TIMED_OUT,
        now,
        error_code="JOB_TIMEOUT",
        error_message=f"still running at Layers after its {settings.job_timeout_s}s deadline",
        reconcile_until=now + timedelta(seconds=settings.job_reconcile_for_s),
        next_poll_at=now + timedelta(seconds=settings.job_reconcile_interval_s),
    )
    job_endings.record_end(deps, due, end)
    log.warning("job_timed_out", deadline_at=due.deadline_at.isoformat())


def _next(deps: Deps, due: DueJob, now: datetime, poll: JobPoll | None, healthy: bool) -> None:
    """After a poll that found the job running (or could not tell): the backoff, the backstop, or the
    reconciliation interval of a timed-out job."""
    plan = schedule(deps.settings)
    if due.status is JobStatus.TIMED_OUT:
        interval = plan.reconcile_s
    else:
        interval = polling.next_interval_s(plan, polls=due.polls, previous_s=due.interval_s, healthy=healthy)
    _reschedule(
        deps,
        due,
        now,
        poll,
        delay_s=interval + random.uniform(0, POLL_JITTER_S),
        interval_s=interval,
        polled=True,
    )


def _reschedule(
    deps: Deps,
    due: DueJob,
    now: datetime,
    poll: JobPoll | None,
    *,
    delay_s: float,
    interval_s: float,
    polled: bool,
) -> None:
    job = poll.job if poll is not None else None
    with deps.store() as store:
        store.reschedule_job(
            job_row_id=due.id,
            poll=NextPoll(
                now=now,
                at=polling.next_poll_at(now, delay_s=delay_s, deadline_at=due.deadline_at),
                interval_s=interval_s,
                polled=polled,
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
