"""Layers' social accounts and scheduling (contract §11, §15): the response models, the `post.*` webhook
events (§23.1), and the calls (`PublishingCalls`, part of `LayersClient`). Tolerant like every Layers model
(`models.LayersModel`): unknown fields are kept and statuses are plain strings, so a new value never breaks
parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Unpack

from pydantic import Field

from agent.layers import routes
from agent.layers.filters import ScheduledPostFilters, SocialAccountFilters
from agent.layers.models import LayersModel, Page, Timestamp
from agent.layers.pagination import paginated
from agent.layers.transport import Transport
from agent.layers.wire import iso_utc, query

ACCOUNT_STATUSES = frozenset({"connected", "reauth_required", "disconnected"})
GATE_STATUSES = frozenset({"queued", "blocked_on_approval"})
POST_STATUSES = frozenset({"queued", "publishing", "published", "failed", "canceled", "draft"})
GEN_A_POST_STATUS = {"draft_in_inbox": "draft"}


class SocialAccount(LayersModel):
    social_account_id: str
    platform: str | None = None
    handle: str | None = None
    avatar_url: str | None = None
    status: str | None = None
    leased: bool | None = None
    connected_at: Timestamp | None = None
    token_expires_at: Timestamp | None = None


class SocialAccountPage(Page[SocialAccount]):
    pass


class ScheduleTarget(LayersModel):
    """One target of a schedule: an account and how to post there (all-or-nothing with the others)."""

    social_account_id: str
    mode: str = "publish"
    caption_override: str | None = None
    first_comment_override: str | None = None


class ScheduleResult(LayersModel):
    """`POST /v1/content/:id/schedule`: one scheduled post per target, or the intent stashed until approval."""

    scheduled_post_ids: list[str] = Field(default_factory=list)
    gate_status: str | None = None
    scheduled_for: Timestamp | None = None


class PostError(LayersModel):
    code: str | None = None
    message: str | None = None


class ScheduledPost(LayersModel):
    id: str
    container_id: str | None = None
    social_account_id: str | None = None
    platform: str | None = None
    mode: str | None = None
    status: str
    external_id: str | None = None
    external_url: str | None = None
    scheduled_for: Timestamp | None = None
    attempted_at: Timestamp | None = None
    published_at: Timestamp | None = None
    canceled_at: Timestamp | None = None
    last_error: PostError | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    @property
    def gen_b_status(self) -> str:
        return GEN_A_POST_STATUS.get(self.status, self.status)


class ScheduledPostPage(Page[ScheduledPost]):
    pass


class PostEventData(LayersModel):
    """`post.scheduled|published|failed|canceled` (§23.1; the failed row is cut in the docs: `error` INFERRED)."""

    scheduled_post_id: str
    container_id: str | None = None
    scheduled_for: Timestamp | None = None
    external_id: str | None = None
    external_url: str | None = None
    error: PostError | None = None


class PublishingCalls:
    """The scheduling endpoints, mixed into `LayersClient` (which provides `_transport`)."""

    _transport: Transport

    def list_social_accounts(
        self, project_id: str, **filters: Unpack[SocialAccountFilters]
    ) -> SocialAccountPage:
        target = routes.LIST_SOCIAL_ACCOUNTS.at(projectId=project_id)
        return self._transport.call(SocialAccountPage, target, params=query(**filters))

    iter_social_accounts = paginated(list_social_accounts, routes.LIST_SOCIAL_ACCOUNTS)

    def schedule_content(
        self,
        container_id: str,
        *,
        scheduled_for: datetime,
        targets: Sequence[ScheduleTarget],
        idempotency_key: str | None,
    ) -> ScheduleResult:
        """Schedule a completed container to `targets` (all or nothing); the approval gate applies (§9.4)."""
        body = {
            "scheduledFor": iso_utc(scheduled_for),
            "targets": [target.model_dump(by_alias=True, exclude_none=True) for target in targets],
        }
        target = routes.SCHEDULE_CONTENT.at(containerId=container_id)
        return self._transport.call(ScheduleResult, target, body=body, idempotency_key=idempotency_key)

    def get_scheduled_post(self, scheduled_post_id: str) -> ScheduledPost:
        target = routes.GET_SCHEDULED_POST.at(scheduledPostId=scheduled_post_id)
        return self._transport.call(ScheduledPost, target)

    def list_scheduled_posts(
        self, project_id: str, **filters: Unpack[ScheduledPostFilters]
    ) -> ScheduledPostPage:
        target = routes.LIST_SCHEDULED_POSTS.at(projectId=project_id)
        return self._transport.call(ScheduledPostPage, target, params=query(**filters))

    iter_scheduled_posts = paginated(list_scheduled_posts, routes.LIST_SCHEDULED_POSTS)
