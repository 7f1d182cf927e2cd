"""The simulated org's records: plain mutable rows keyed by bare ids, as the API's handlers change them.

Ids inside records are bare (no `prj_`/`cnt_` prefix); `agent.sandbox.ids` adds the prefixes when a
record is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from agent.sandbox.scenario_schema import JobBehaviour, PaidMetrics

MEDIA_BASE = "https://media.layers.com/sandbox"
OVERRIDE_SETTER = "api_key"


def watch_time(views: int, given: int | None = None) -> int:
    """The scenario's watch time, else about 4.2 s watched per view."""
    return given if given is not None else views * 4200


def cover_url(post_id: str) -> str:
    return f"{MEDIA_BASE}/posts/{post_id}/cover.jpg"


@dataclass
class ProjectRec:
    id: str
    name: str
    status: str
    customer_external_id: str | None
    timezone: str
    primary_language: str
    owner_email: str | None
    requires_approval: bool
    first_n_posts_blocked: int
    created_at: datetime
    updated_at: datetime
    stage: str | None = None
    brand: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    app_name: str | None = None
    app_description: str | None = None
    tagline: str | None = None
    brand_voice: str = "authentic"
    target_gender: str = "all"
    generation_job: JobBehaviour | None = None


@dataclass
class PostRec:
    id: str
    project_id: str
    title: str
    source_type: str
    views: int
    engagement_rate: float
    watch_time_ms: int
    platforms: list[str]
    published_at: datetime
    organic_score: float | None
    override: str | None
    external_id: str | None = None
    source_id: str | None = None
    ads_content_id: str | None = None
    paid: PaidMetrics | None = None
    thumbnail_url: str | None = None
    prior_clones: int = 0
    clone_job: JobBehaviour | None = None


@dataclass
class AdsContentRec:
    id: str
    project_id: str
    source_type: str
    scoring_pool: str
    organic_score: float
    created_at: datetime
    scored_at: datetime
    source_id: str | None = None
    platform_post_id: str | None = None
    title: str | None = None
    views: int = 0
    engagement_rate: float = 0.0
    is_default_score: bool = False
    ad_performance: PaidMetrics | None = None
    scoring_version: int = 3
    override: str | None = None
    override_note: str | None = None
    override_set_by: str | None = None
    override_set_at: datetime | None = None
    safety_failed: bool = False

    def set_override(self, override: str | None, note: str | None, at: datetime) -> None:
        """An override records who set it and when; clearing it clears both."""
        self.override = override
        self.override_note = note
        self.override_set_by = OVERRIDE_SETTER if override else None
        self.override_set_at = at if override else None


@dataclass
class AdRec:
    ad_id: str
    project_id: str
    adset_id: str
    campaign_id: str
    ad_account_id: str
    platform: str
    ads_content_id: str | None
    first_day: date
    last_day: date
    spend: float
    impressions: int
    clicks: int
    conversions: int
    revenue: float
    conversion_delay_hours: float = 0  # issue 15: a day's conversions (and revenue) are reported this late


@dataclass
class RecommendationRec:
    id: str
    project_id: str
    kind: str
    status: str
    confidence: float
    created_at: datetime
    subject: dict[str, Any]
    rationale: str
    evidence: dict[str, Any]
    suggested_action: dict[str, Any] | None


@dataclass
class ContainerRec:
    id: str
    project_id: str
    job_id: str
    origin: str
    format: str
    hook: str | None
    caption: str | None
    created_at: datetime
    approval_status: str
    source_post_id: str | None = None
    brief: dict[str, Any] | None = None
    final_status: str | None = None
    finished_at: datetime | None = None
    last_error: dict[str, Any] | None = None
    asset_id: str | None = None
    approved_at: datetime | None = None
    approved_by: str | None = None


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to a resource-level idempotent start (clone container id, generation `id`)."""

    fingerprint: str
    status: int
    body: dict[str, Any]
