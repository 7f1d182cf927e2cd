"""GET /v1/projects/:projectId/top-performers: a project's best creatives by one metric (§17).

Creatives are the project's published posts plus its stand-alone ads-content rows; a post with an
ads-content row is gated by that row, so a PATCH override moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.sandbox import ids
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.creatives import eligibility, paid_block, paid_from_ads
from agent.sandbox.errors import validation
from agent.sandbox.params import q_bool, q_enum, q_enum_list, q_int
from agent.sandbox.records import AdsContentRec, PostRec, watch_time
from agent.sandbox.state import SandboxState

WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
TOP_METRICS = ("views", "engagement_rate", "conversions", "roas", "watch_time_ms")
SOURCE_TYPES = ("content_container", "platform_post", "manual")
TOP_PLATFORMS = ("instagram", "tiktok", "youtube", "meta_ads", "tiktok_ads", "apple_ads")


@dataclass
class _Creative:
    source_type: str
    source_id: str | None
    platform_post_id: str | None
    ads_content_id: str | None
    title: str | None
    thumbnail_url: str | None
    organic: dict[str, Any] | None
    paid: dict[str, Any] | None
    eligible: bool

    def value(self, metric: str) -> float | None:
        organic, paid = self.organic or {}, self.paid or {}
        return {
            "views": organic.get("views"),
            "engagement_rate": organic.get("engagementRate"),
            "watch_time_ms": organic.get("watchTimeMs"),
            "conversions": paid.get("conversions"),
            "roas": paid.get("roas"),
        }[metric]

    def item(self, rank: int, value: float) -> dict[str, Any]:
        return {
            "rank": rank,
            "sourceType": self.source_type,
            "sourceId": self.source_id,
            "platformPostId": self.platform_post_id,
            "adsContentId": self.ads_content_id,
            "title": self.title,
            "thumbnailUrl": self.thumbnail_url,
            "metricValue": value,
            "organic": self.organic,
            "paid": self.paid,
        }


def _from_post(state: SandboxState, post: PostRec, since: datetime, now: datetime) -> _Creative:
    score, override = state.score_and_override(post)
    row = state.ads_content.get(post.ads_content_id or "")
    paid = paid_block(post.paid) or (paid_block(row.ad_performance) if row else None)
    return _Creative(
        source_type=post.source_type,
        source_id=ids.encode("container", post.source_id),
        platform_post_id=ids.encode("post", post.id),
        ads_content_id=ids.encode("ads_content", post.ads_content_id),
        title=post.title,
        thumbnail_url=post.thumbnail_url,
        organic={
            "views": post.views,
            "engagementRate": post.engagement_rate,
            "watchTimeMs": post.watch_time_ms,
            "platforms": post.platforms,
        },
        paid=paid or paid_from_ads(state, post.ads_content_id, since, now),
        eligible=eligibility(score, override, row.safety_failed if row else False)[0],
    )


def _from_row(state: SandboxState, row: AdsContentRec, since: datetime, now: datetime) -> _Creative:
    organic = None
    if row.views:
        organic = {
            "views": row.views,
            "engagementRate": row.engagement_rate,
            "watchTimeMs": watch_time(row.views),
            "platforms": [],
        }
    return _Creative(
        source_type=row.source_type,
        source_id=ids.encode("container", row.source_id),
        platform_post_id=ids.encode("post", row.platform_post_id),
        ads_content_id=ids.encode("ads_content", row.id),
        title=row.title,
        thumbnail_url=None,
        organic=organic,
        paid=paid_block(row.ad_performance) or paid_from_ads(state, row.id, since, now),
        eligible=eligibility(row.organic_score, row.override, row.safety_failed)[0],
    )


def _creatives(state: SandboxState, project_id: str, since: datetime, now: datetime) -> list[_Creative]:
    posts = state.visible_posts(project_id)
    linked = {post.ads_content_id for post in posts if post.ads_content_id}
    creatives = [_from_post(state, post, since, now) for post in posts if post.published_at >= since]
    creatives += [
        _from_row(state, row, since, now)
        for row in state.ads_content.values()
        if row.project_id == project_id and row.id not in linked and row.created_at >= since
    ]
    return creatives


def top_performers(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    metric = q_enum(req, "metric", TOP_METRICS)
    if metric is None:
        raise validation([("metric", f"Required; one of: {', '.join(TOP_METRICS)}.")])
    window = q_enum(req, "window", tuple(WINDOWS), "30d") or "30d"
    source_types = q_enum_list(req, "sourceType", SOURCE_TYPES)
    platforms = q_enum_list(req, "platform", TOP_PLATFORMS)
    limit = q_int(req, "limit", 25, 1, 100)
    include_ineligible = q_bool(req, "includeIneligible") or False
    since = req.now - timedelta(days=WINDOWS[window])
    rows = []
    for creative in _creatives(state, project.id, since, req.now):
        if not (include_ineligible or creative.eligible):
            continue
        if source_types and creative.source_type not in source_types:
            continue
        if platforms and creative.organic and not set(platforms) & set(creative.organic["platforms"]):
            continue
        value = creative.value(metric)
        if value is not None:
            rows.append((value, creative))
    rows.sort(key=lambda pair: (-pair[0], -((pair[1].organic or {}).get("views") or 0), pair[1].title or ""))
    items = [creative.item(rank, value) for rank, (value, creative) in enumerate(rows[:limit], start=1)]
    items += state.raw_top_performers.get(project.id, [])  # issue 15: a scenario's impossible rows, verbatim
    return ApiResponse(200, {"metric": metric, "window": window, "items": items})
