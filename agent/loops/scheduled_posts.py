"""Every scheduled post is followed to its end: `published`, `failed` or `canceled` (or a `draft` pushed to the
customer's phone), from a poll of `GET /v1/scheduled-posts/:id` or a `post.*` webhook, whichever comes first.

Polls follow the documented cadence (contract §15.3): none before the post's slot, then every 30 s while it
is queued and every 5 s while it is publishing. The end is recorded once, whoever saw it first; once every
post of a publication has ended, the publication has too (published if any post went live).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from structlog.contextvars import bound_contextvars

from agent.domain.decisions import NewDecision, Subject
from agent.domain.learn_evidence import PostStep
from agent.domain.publishing import PostChange, PostState, PostStatus
from agent.domain.vocabulary import Action, LoopName, SubjectType
from agent.layers import errors
from agent.layers.publishing import PostEventData
from agent.layers.webhooks import event_data
from agent.logging import get_logger
from agent.loops import publish_readers
from agent.loops.failures import TRANSIENT
from agent.loops.ports import Deps
from agent.rules.publishing import POST_REASONS, next_poll, publication_end

log = get_logger(__name__)

POLL_LEASE_S = 60  # a claimed post is invisible to other ticks this long


def poll_due(deps: Deps, *, limit: int) -> int:
    """Poll each scheduled post whose next poll is due; returns how many were polled."""
    with deps.store() as store:
        due = store.claim_due_posts(now=deps.now(), limit=limit, lease_s=POLL_LEASE_S)
    for post in due:
        with bound_contextvars(scheduled_post_id=post.scheduled_post_id, customer_id=post.customer_id):
            try:
                state = publish_readers.post_state(deps.client.get_scheduled_post(post.scheduled_post_id))
            except TRANSIENT as exc:
                state = PostState(post.scheduled_post_id, post.status, scheduled_for=post.scheduled_for)
                log.warning("scheduled_post_unread", error=type(exc).__name__)
            except errors.NotFound as exc:  # Layers no longer knows it: as good as canceled
                state = PostState(post.scheduled_post_id, PostStatus.CANCELED, error_code=exc.code)
            seen(deps, state, by="poll")
    return len(due)


def seen(deps: Deps, state: PostState, *, by: str) -> PostChange | None:
    """Record what Layers says of a scheduled post; None when the agent does not follow it."""
    now = deps.now()
    with deps.store() as store:
        change = store.update_post(
            state=state, now=now, next_poll_at=next_poll(state.status, state.scheduled_for, now)
        )
        if change is None or not change.ended_now:
            return change
        post = change.post
        store.record_decision(
            NewDecision(
                customer_id=post.customer_id,
                loop=LoopName.PUBLISH_TO_LEARN,
                action=Action.OBSERVE,
                reason=POST_REASONS[state.status],
                subject=Subject(SubjectType.SCHEDULED_POST, post.scheduled_post_id),
                evidence=PostStep(
                    scheduled_post_id=post.scheduled_post_id,
                    container_id=post.container_id,
                    status=state.status,
                    platform=state.platform,
                    social_account_id=state.social_account_id,
                    external_id=state.external_id,
                    external_url=state.external_url,
                    published_at=_iso(state.published_at),
                    error_code=state.error_code,
                    error_message=state.error_message,
                    seen_by=by,
                ),
                parent_id=post.parent_decision_id,
                dedupe_key=f"scheduled-post:{post.scheduled_post_id}:ended",
            )
        )
        ended = publication_end(change.publication_posts)
        if ended is not None:
            store.move_publication(publication_id=post.publication_id, status=ended, now=now)
    log.info("scheduled_post_ended", status=state.status, by=by)
    return change


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


EVENT_STATUS = {
    "post.scheduled": PostStatus.QUEUED,
    "post.published": PostStatus.PUBLISHED,
    "post.failed": PostStatus.FAILED,
    "post.canceled": PostStatus.CANCELED,
}


def on_event(deps: Deps, event_type: str, data: Mapping[str, Any]) -> PostChange | None:
    """A `post.*` webhook, recorded exactly as a poll that saw the same would be (None: not followed)."""
    post = event_data(PostEventData, event_type, data)
    error = post.error
    state = PostState(
        scheduled_post_id=post.scheduled_post_id,
        status=EVENT_STATUS[event_type],
        container_id=post.container_id,
        scheduled_for=post.scheduled_for,
        external_id=post.external_id,
        external_url=post.external_url,
        error_code=error.code if error else None,
        error_message=error.message if error else None,
    )
    return seen(deps, state, by="webhook")
