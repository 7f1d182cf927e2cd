"""The publish/learn lifecycle (issue 15): the customer's review of clone containers after a delay, the approval
gate on scheduling (§9.4), scheduled posts that publish or fail, and the metrics a published clone reaches.

Like jobs, everything is a pure function of the clock, applied lazily (`settle`, at the start of every API
request): a scheduled post is queued until its slot, publishing for `publishingSeconds`, then ends as its
project's `posting` says; a published one becomes a platform post linked to its container, with the numbers
of `cloneMetrics` for its clone. Every change emits its webhook event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.sandbox import ids, lifecycle
from agent.sandbox.clock import iso
from agent.sandbox.errors import ApiError, conflict
from agent.sandbox.publishing_records import ScheduledPostRec, SocialAccountRec, StashRec
from agent.sandbox.publishing_schema import Publishing
from agent.sandbox.records import ContainerRec, PostRec, cover_url, watch_time
from agent.sandbox.state import SandboxState

CLONE_KIND = "content_clone_from_post"
CUSTOMER_REVIEWER = "customer"


def load(state: SandboxState, project_id: str, spec: Publishing | None, now: datetime) -> None:
    """A project's publishing setup from its scenario: its accounts, and how its customer and posts behave."""
    if spec is None:
        return
    state.publishing[project_id] = spec
    for index, account in enumerate(spec.social_accounts):
        account_id = ids.derived_uuid("social-account", project_id, str(index))
        state.social_accounts[account_id] = SocialAccountRec(
            account_id, project_id, account.platform, account.handle, account.status, now - timedelta(days=30)
        )


def post_status(post: ScheduledPostRec, now: datetime) -> str:
    if now < post.scheduled_for:
        return "queued"
    if now < post.scheduled_for + timedelta(seconds=post.publishing_seconds):
        return "publishing"
    return post.outcome


def _ended_at(post: ScheduledPostRec) -> datetime:
    return post.scheduled_for + timedelta(seconds=post.publishing_seconds)


def settle(state: SandboxState) -> None:
    """Apply the customer's due reviews, then every scheduled post that has ended."""
    now = state.clock()
    for container in list(state.containers.values()):
        _review_if_due(state, container, now)
    for post in state.scheduled_posts.values():
        if not post.settled and post_status(post, now) in ("published", "failed", "canceled"):
            post.settled = True
            _ended(state, post)


def _review_if_due(state: SandboxState, container: ContainerRec, now: datetime) -> None:
    spec = state.publishing.get(container.project_id)
    if spec is None or spec.review is None or container.approval_status != "pending":
        return
    job = state.jobs[container.job_id]
    if job.kind != CLONE_KIND or lifecycle.container_status(state, container) != "completed":
        return
    if container.finished_at is None or now < container.finished_at + timedelta(
        minutes=spec.review.after_minutes
    ):
        return
    decision = spec.review.decisions[job.container_ids.index(container.id) % len(spec.review.decisions)]
    at = container.finished_at + timedelta(minutes=spec.review.after_minutes)
    body = {
        "id": ids.encode("container", container.id),
        "projectId": ids.encode("project", container.project_id),
    }
    if decision == "approve":
        container.approval_status, container.approved_at, container.approved_by = (
            "approved",
            at,
            CUSTOMER_REVIEWER,
        )
        state.emit("content.approved", {**body, "approvedAt": iso(at), "approvedBy": CUSTOMER_REVIEWER})
        promote(state, container, now)
    else:
        container.approval_status = "rejected"
        state.stashes.pop(container.id, None)
        state.emit(
            "content.rejected",
            {**body, "rejectedAt": iso(at), "rejectedBy": CUSTOMER_REVIEWER, "reason": spec.review.reason},
        )


def schedule(
    state: SandboxState, container: ContainerRec, scheduled_for: datetime, targets: list[tuple[str, str]]
) -> tuple[int, dict[str, Any]]:
    """The approval gate, then one scheduled post per target (all or nothing): the answer's status and body."""
    spec = state.publishing.get(container.project_id) or Publishing()
    if container.approval_status == "rejected":
        raise ApiError(409, "CONTENT_REJECTED", "The content was rejected in review and cannot be scheduled.")
    answer = {"scheduledFor": iso(scheduled_for)}
    if container.approval_status == "pending":
        if spec.pending_schedule == "forbid":
            raise ApiError(403, "APPROVAL_REQUIRED", "The content is waiting for approval.")
        state.stashes[container.id] = StashRec(container.id, scheduled_for, targets)
        return 202, {"scheduledPostIds": [], "gateStatus": "blocked_on_approval", **answer}
    posts = _create_posts(state, container, scheduled_for, targets)
    return 201, {
        "scheduledPostIds": [ids.encode("scheduled_post", p.id) for p in posts],
        "gateStatus": "queued",
        **answer,
    }


def promote(state: SandboxState, container: ContainerRec, now: datetime) -> dict[str, Any] | None:
    """An approval turns a stashed schedule into posts (a slot already past publishes at once)."""
    stash = state.stashes.pop(container.id, None)
    if stash is None:
        return None
    usable = [(a, m) for a, m in stash.targets if _account_usable(state, a)]
    if not usable:
        return {"status": "failed", "scheduledPostIds": []}
    posts = _create_posts(state, container, max(stash.scheduled_for, now), usable)
    return {"status": "ok", "scheduledPostIds": [ids.encode("scheduled_post", p.id) for p in posts]}


def _account_usable(state: SandboxState, account_id: str) -> bool:
    account = state.social_accounts.get(account_id)
    return account is not None and account.status == "connected"


def _create_posts(
    state: SandboxState, container: ContainerRec, scheduled_for: datetime, targets: list[tuple[str, str]]
) -> list[ScheduledPostRec]:
    spec = state.publishing.get(container.project_id) or Publishing()
    now = state.clock()
    created = []
    for account_id, mode in targets:
        account = state.social_accounts[account_id]
        post_id = ids.new_uuid()
        post = ScheduledPostRec(
            id=post_id,
            project_id=container.project_id,
            container_id=container.id,
            social_account_id=account_id,
            platform=account.platform,
            handle=account.handle,
            mode=mode,
            scheduled_for=scheduled_for,
            created_at=now,
            outcome=spec.posting.outcome,
            publishing_seconds=spec.posting.publishing_seconds,
            error=spec.posting.error.model_dump() if spec.posting.outcome == "failed" else None,
        )
        state.scheduled_posts[post_id] = post
        created.append(post)
        event = {
            "scheduledPostId": ids.encode("scheduled_post", post_id),
            "containerId": ids.encode("container", container.id),
        }
        state.emit("post.scheduled", {**event, "scheduledFor": iso(scheduled_for)})
    return created


def _ended(state: SandboxState, post: ScheduledPostRec) -> None:
    event: dict[str, Any] = {
        "scheduledPostId": ids.encode("scheduled_post", post.id),
        "containerId": ids.encode("container", post.container_id),
    }
    if post.outcome == "published":
        post.external_id = str(int(ids.derived_uuid("external", post.id).replace("-", "")[:15], 16))
        _publish_clone_post(state, post)
        state.emit(
            "post.published", {**event, "externalId": post.external_id, "externalUrl": external_url(post)}
        )
    elif post.outcome == "failed":
        state.emit("post.failed", {**event, "error": post.error})
    else:
        state.emit("post.canceled", event)


def _publish_clone_post(state: SandboxState, post: ScheduledPostRec) -> None:
    """The platform post a published clone becomes, synced with its clone's numbers (`cloneMetrics`)."""
    spec = state.publishing.get(post.project_id)
    container = state.containers[post.container_id]
    if spec is None or not spec.clone_metrics:
        return
    clones = sorted(
        (job for job in state.jobs.values() if job.project_id == post.project_id and job.kind == CLONE_KIND),
        key=lambda job: (job.started_at, job.id),
    )
    index = next(i for i, job in enumerate(clones) if job.id == container.job_id)
    metrics = spec.clone_metrics[index % len(spec.clone_metrics)]
    post_id = ids.derived_uuid("clone-post", post.id)
    state.posts[post_id] = PostRec(
        id=post_id,
        project_id=post.project_id,
        title=container.hook or "Sandbox clone",
        source_type="content_container",
        source_id=container.id,
        views=metrics.views,
        engagement_rate=metrics.engagement_rate,
        watch_time_ms=watch_time(metrics.views),
        platforms=[post.platform],
        published_at=_ended_at(post),
        organic_score=5.0,
        override=None,
        external_id=post.external_id,
        thumbnail_url=cover_url(post_id),
    )


def external_url(post: ScheduledPostRec) -> str | None:
    if post.external_id is None:
        return None
    return f"https://www.{post.platform}.com/@{post.handle}/video/{post.external_id}"


def post_json(post: ScheduledPostRec, now: datetime) -> dict[str, Any]:
    status = post_status(post, now)
    ended = status in ("published", "failed", "canceled")
    return {
        "id": ids.encode("scheduled_post", post.id),
        "containerId": ids.encode("container", post.container_id),
        "socialAccountId": ids.encode("social_account", post.social_account_id),
        "platform": post.platform,
        "mode": post.mode,
        "status": status,
        "externalId": post.external_id if status == "published" else None,
        "externalUrl": external_url(post) if status == "published" else None,
        "scheduledFor": iso(post.scheduled_for),
        "attemptedAt": iso(post.scheduled_for) if status != "queued" else None,
        "publishedAt": iso(_ended_at(post)) if status == "published" else None,
        "canceledAt": iso(_ended_at(post)) if status == "canceled" else None,
        "lastError": post.error if status == "failed" else None,
        "createdAt": iso(post.created_at),
        "updatedAt": iso(_ended_at(post) if ended else post.created_at),
    }


def not_schedulable(state: SandboxState, container: ContainerRec) -> None:
    """Only completed content can be scheduled (INFERRED `409 CONFLICT`, contract §15.1)."""
    status = lifecycle.container_status(state, container)
    if status != "completed":
        raise conflict("Only completed content can be scheduled.", status=status)
