"""Webhook events, handled off the request path: the receiver stored each one once; a worker claims the
unprocessed ones (a lease, SKIP LOCKED), hands each to the handler of its type and records the outcome.

Handlers are idempotent and order-independent, because deliveries are at least once and unordered: a job
event ends the job through the poller's own path (`job_endings.record_end`) only while the job is still
running, and a review event sets a status that never goes back and records a decision under a dedupe key.
A new event type is one function and one row in `HANDLERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from structlog.contextvars import bound_contextvars

from agent.domain.decisions import FollowUp
from agent.domain.evidence import ContentReview
from agent.domain.records import InboxEvent, JobEnd
from agent.domain.redaction import redact_text
from agent.domain.vocabulary import (
    JOB_TERMINAL,
    Action,
    EventType,
    InboxOutcome,
    JobStatus,
    Reason,
    ReviewStatus,
)
from agent.layers import errors
from agent.layers.webhooks import ContentReviewData, JobEventData, event_data
from agent.logging import get_logger
from agent.loops import job_endings, scheduled_posts
from agent.loops.ports import Deps

log = get_logger(__name__)

BATCH_SIZE = 100  # events claimed per task
CLAIM_LEASE_S = 60  # a claimed event is invisible to other workers this long
JOB_LEASE_S = 60  # a job being ended by a webhook is invisible to the pollers this long
MAX_ATTEMPTS = 5  # a handler that keeps raising gives up; the poller is the backstop
RETRY_S = 5.0
RETRY_WINDOW_S = 120.0  # how long an event waits for its job to be followed, or freed by a poller


@dataclass(frozen=True)
class Retry:
    """Not yet: try again shortly; once the event is older than RETRY_WINDOW_S, settle for `fallback`."""

    why: str
    fallback: InboxOutcome


Verdict = InboxOutcome | Retry
Handler = Callable[[Deps, InboxEvent], Verdict]


def process(deps: Deps, *, row_id: int | None = None, limit: int = BATCH_SIZE) -> int:
    """Handle the event `row_id` (just received) or every unprocessed one (the sweep); returns how many."""
    with deps.store() as store:
        claimed = store.claim_webhook_events(
            now=deps.now(), limit=limit, lease_s=CLAIM_LEASE_S, row_id=row_id
        )
    for event in claimed:
        with bound_contextvars(event_id=event.event_id, event_type=event.type):
            _process_one(deps, event)
    return len(claimed)


def _process_one(deps: Deps, event: InboxEvent) -> None:
    try:
        verdict = handle(deps, event)
    except errors.ContractError as exc:
        _finish(deps, event, InboxOutcome.FAILED, str(exc))
        return
    except Exception as exc:  # any failure is retried a few times, with its traceback logged
        log.exception("webhook_event_failed", attempts=event.attempts)
        error = redact_text(f"{type(exc).__name__}: {exc}")
        if event.attempts >= MAX_ATTEMPTS:
            _finish(deps, event, InboxOutcome.FAILED, error)
        else:
            _retry(deps, event, RETRY_S * event.attempts, error)
        return
    if isinstance(verdict, Retry):
        age_s = (deps.now() - event.received_at).total_seconds()
        if age_s < RETRY_WINDOW_S:
            _retry(deps, event, RETRY_S, verdict.why)
            return
        _finish(deps, event, verdict.fallback, verdict.why)
        return
    _finish(deps, event, verdict, None)


def handle(deps: Deps, event: InboxEvent) -> Verdict:
    """The event's handler, by type: the catalog's unhandled types are kept, unknown ones ignored."""
    try:
        event_type = EventType(event.type)
    except ValueError:
        return InboxOutcome.UNKNOWN_TYPE
    handler = HANDLERS.get(event_type)
    return handler(deps, event) if handler is not None else InboxOutcome.NO_HANDLER


def _finish(deps: Deps, event: InboxEvent, outcome: InboxOutcome, error: str | None) -> None:
    with deps.store() as store:
        store.finish_webhook_event(row_id=event.id, now=deps.now(), outcome=outcome, error=error)
    log.info("webhook_event_processed", outcome=outcome, attempts=event.attempts)


def _retry(deps: Deps, event: InboxEvent, after_s: float, why: str) -> None:
    with deps.store() as store:
        store.retry_webhook_event(row_id=event.id, at=deps.now() + timedelta(seconds=after_s), error=why)


def _data(event: InboxEvent) -> Mapping[str, Any]:
    data = event.payload.get("data")
    return data if isinstance(data, Mapping) else {}


# ---- handlers --------------------------------------------------------------------------------------

JOB_ENDINGS = {
    EventType.JOB_COMPLETED: JobStatus.COMPLETED,
    EventType.JOB_FAILED: JobStatus.FAILED,
    EventType.JOB_CANCELED: JobStatus.CANCELED,
}


def job_ended(deps: Deps, event: InboxEvent) -> Verdict:
    """`job.completed|failed|canceled`: end the followed job exactly as a poll that saw it ended would
    (a job recorded timed out is reconciled the same way)."""
    data = event_data(JobEventData, event.type, _data(event))
    status = JOB_ENDINGS[EventType(event.type)]
    now = deps.now()
    with deps.store() as store:
        found = store.followed_job(job_id=data.job_id, now=now, lease_s=JOB_LEASE_S)
    if found is None:  # not (yet) recorded as submitted, or started by someone else in the organization
        return Retry("the agent does not follow this job", InboxOutcome.NOT_OURS)
    if found.due is None:
        if found.status not in JOB_TERMINAL:
            return Retry("a poller holds the job", InboxOutcome.ALREADY_DONE)
        return InboxOutcome.ALREADY_DONE
    due, error = found.due, data.error
    approval = job_endings.approval_status(deps, due) if status is JobStatus.COMPLETED else None
    job_endings.record_end(
        deps,
        due,
        JobEnd(
            status=status,
            now=now,
            result=data.result,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            approval_status=approval,
            duration_s=data.duration_s,
        ),
    )
    log.info("job_finished", job_id=due.job_id, status=status, by="webhook")
    return InboxOutcome.HANDLED


REVIEWS = {
    EventType.CONTENT_APPROVED: (ReviewStatus.APPROVED, Action.APPROVE, Reason.CONTENT_APPROVED),
    EventType.CONTENT_REJECTED: (ReviewStatus.REJECTED, Action.REJECT, Reason.CONTENT_REJECTED),
}


def content_reviewed(deps: Deps, event: InboxEvent) -> Verdict:
    """`content.approved|rejected`: the clone's approval status, and a decision under its clone decision."""
    data = event_data(ContentReviewData, event.type, _data(event))
    status, action, reason = REVIEWS[EventType(event.type)]
    reviewed_at = data.approved_at or data.rejected_at
    reviewed_by = data.approved_by or data.rejected_by
    with deps.store() as store:
        # issue 15: a container on its way to publication (a variation too) is taken up by the next tick
        woken = store.wake_publication(container_id=data.id, approval_status=status, now=deps.now())
        clone = store.clone_for_container(container_id=data.id)
        if clone is None:
            return InboxOutcome.HANDLED if woken else InboxOutcome.NOT_OURS
        store.set_clone_approval(clone_id=clone.clone_id, approval_status=status)
        if clone.decision_id is not None:
            store.record_follow_up(
                FollowUp(
                    parent_id=clone.decision_id,
                    action=action,
                    reason=reason,
                    evidence=ContentReview(
                        container_id=data.id,
                        approval_status=status,
                        event_id=event.event_id,
                        reviewed_at=reviewed_at.isoformat() if reviewed_at else None,
                        reviewed_by=reviewed_by,
                        reason=data.reason,
                    ),
                    actor=f"layers:{reviewed_by}" if reviewed_by else "layers",
                    dedupe_key=f"content-review:{data.id}",  # one review per container, whatever replays it
                )
            )
    return InboxOutcome.HANDLED


def post_changed(deps: Deps, event: InboxEvent) -> Verdict:
    """`post.*` (issue 15): a scheduled post's news, recorded the way a poll records it."""
    change = scheduled_posts.on_event(deps, event.type, _data(event))
    if change is None:  # its schedule's answer may not be recorded yet
        return Retry("the agent does not follow this scheduled post", InboxOutcome.NOT_OURS)
    return InboxOutcome.HANDLED if change.ended_now else InboxOutcome.ALREADY_DONE


HANDLERS: dict[EventType, Handler] = {
    EventType.JOB_COMPLETED: job_ended,
    EventType.JOB_FAILED: job_ended,
    EventType.JOB_CANCELED: job_ended,
    EventType.CONTENT_APPROVED: content_reviewed,
    EventType.CONTENT_REJECTED: content_reviewed,
    EventType.POST_SCHEDULED: post_changed,  # publish and learn (issue 15)
    EventType.POST_PUBLISHED: post_changed,
    EventType.POST_FAILED: post_changed,
    EventType.POST_CANCELED: post_changed,
}
