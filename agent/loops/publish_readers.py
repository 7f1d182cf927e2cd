"""Reading Layers into the publish/learn cycle's plain inputs: the customer's social accounts, scheduled posts,
and what a published clone reached (issue 15). The loops' other reads are in `agent.loops.readers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from agent.domain.ids import same_id
from agent.domain.learn_evidence import VariationResult
from agent.domain.publishing import PostState, PostStatus, PublishedVariation
from agent.layers.publishing import ScheduledPost
from agent.loops.ports import LayersApi
from agent.rules.publishing import Account

CLONE_SOURCE_TYPE = "content_container"
CLONE_METRICS = ("views", "engagement_rate")
TOP_PERFORMERS_MAX = 100
WINDOW_LABELS = ((7, "7d"), (30, "30d"), (90, "90d"))


def social_accounts(client: LayersApi, project_id: str) -> tuple[Account, ...]:
    """Every account of the project (connected or not: the plan says why it could not use one)."""
    return tuple(
        Account(a.social_account_id, a.platform, a.status, a.handle)
        for a in client.iter_social_accounts(project_id)
    )


def post_state(post: ScheduledPost) -> PostState:
    """A scheduled post as the rules read it; a status Layers adds later reads as still queued."""
    try:
        status = PostStatus(post.gen_b_status)
    except ValueError:
        status = PostStatus.QUEUED
    error = post.last_error
    return PostState(
        scheduled_post_id=post.id,
        status=status,
        container_id=post.container_id,
        social_account_id=post.social_account_id,
        platform=post.platform,
        scheduled_for=post.scheduled_for,
        external_id=post.external_id,
        external_url=post.external_url,
        published_at=post.published_at,
        error_code=error.code if error else None,
        error_message=error.message if error else None,
    )


def promoted_posts(
    client: LayersApi, project_id: str, container_id: str, *, around: datetime | None
) -> list[PostState]:
    """The scheduled posts Layers made from a stashed schedule once the container was approved."""
    since = around - timedelta(days=1) if around is not None else None
    return [
        post_state(post)
        for post in client.iter_scheduled_posts(project_id, since=since)
        if same_id(post.container_id, container_id)
    ]


def window_label(age: timedelta) -> str:
    """The shortest top-performers window that still holds a post published `age` ago."""
    for days, label in WINDOW_LABELS:
        if age < timedelta(days=days):
            return label
    return WINDOW_LABELS[-1][1]


def clone_results(
    client: LayersApi,
    project_id: str,
    published: Sequence[PublishedVariation],
    *,
    window: tuple[datetime, datetime],
    now: datetime,
) -> tuple[VariationResult, ...]:
    """Each published variation's numbers over the judged window.

    The clone's post is found as the top-performers row whose `sourceType` is `content_container` and whose
    `sourceId` is the variation's container (the docs name no other link from a container to its post); its
    numbers are then read over the window with `/metrics?scope=platform_post`.
    """
    oldest = min(variation.published_at for variation in published)
    rows = client.top_performers(
        project_id,
        metric="engagement_rate",
        window=window_label(now - oldest),
        limit=TOP_PERFORMERS_MAX,
        include_ineligible=True,
        source_type=[CLONE_SOURCE_TYPE],
    ).items
    results = []
    for variation in published:
        posts = [
            r.platform_post_id
            for r in rows
            if r.platform_post_id and same_id(r.source_id, variation.container_id)
        ]
        for post_id in posts:
            totals = client.metrics(
                project_id,
                scope="platform_post",
                id=post_id,
                metrics=list(CLONE_METRICS),
                since=window[0],
                until=window[1],
            ).totals
            views, rate = totals.get("views"), totals.get("engagement_rate")
            if isinstance(views, int | float) and isinstance(rate, int | float):
                results.append(VariationResult(variation.container_id, post_id, int(views), float(rate)))
    return tuple(results)
