"""Pydantic models of the Layers responses the agent reads.

Tolerant by design: unknown fields are kept (`extra="allow"`), enums are plain strings with the
known values as constants (a new value never breaks parsing), Gen-A spellings are normalised to
Gen-B on read, and timestamps always come out timezone-aware (UTC when the server omits the offset).
Attributes are snake_case; the wire names are their camelCase aliases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _zero_if_null(value: object) -> object:
    return 0 if value is None else value


Timestamp = Annotated[datetime, AfterValidator(_aware)]
Count = Annotated[float, BeforeValidator(_zero_if_null)]

# Known enum values (Gen-B spelling). Responses may carry others; those are kept as they are.
JOB_RUNNING, JOB_COMPLETED, JOB_FAILED, JOB_CANCELED = "running", "completed", "failed", "canceled"
JOB_TERMINAL = frozenset({JOB_COMPLETED, JOB_FAILED, JOB_CANCELED})
CONTAINER_STATUSES = frozenset({"queued", "processing", "completed", "failed", "canceled"})
APPROVAL_STATUSES = frozenset({"not_required", "pending", "approved", "rejected"})
RECOMMENDATION_KINDS = frozenset({"value_propositions", "refresh_fatigued"})
OVERRIDES = frozenset({"include", "exclude"})

# Gen-A spelling -> Gen-B spelling, applied on read.
GEN_A_CONTAINER_STATUS = {"generating": "processing"}
GEN_A_FORMAT = {
    "video_remix": "video-remix",
    "slideshow_remix": "slideshow-remix",
    "ugc_remix": "ugc-remix",
    "slideshow_builder": "slideshow-builder",
}


def _gen_b(table: dict[str, str]) -> AfterValidator:
    return AfterValidator(lambda value: table.get(value, value) if isinstance(value, str) else value)


class LayersModel(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown fields kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel, frozen=True)


Item = TypeVar("Item", bound=LayersModel)


class Page(LayersModel, Generic[Item]):
    """One page of a cursor-paginated list; `next_cursor` is None on the last page (see `pagination`)."""

    items: list[Item]
    next_cursor: str | None = None


class Whoami(LayersModel):
    organization_id: str
    workspace_id: str | None = None
    organization_name: str | None = None
    parent_organization_id: str | None = None
    scopes: list[str] = Field(default_factory=list)
    rate_limit_tier: str | None = None
    api_key_id: str | None = None
    credit_balance: float | None = None
    kill_switch: bool | None = None
    api_access_revoked: bool | None = None


class Project(LayersModel):
    id: str
    name: str
    status: str | None = None
    organization_id: str | None = None
    customer_external_id: str | None = None
    timezone: str | None = None
    primary_language: str | None = None
    owner_email: str | None = None
    brand: dict[str, Any] | None = None
    brand_context: dict[str, Any] | None = None
    requires_approval: bool | None = None
    first_n_posts_blocked: int | None = None
    current_blocked_count: int | None = None
    metadata: dict[str, Any] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class ProjectPage(Page[Project]):
    pass


class MetricsWindow(LayersModel):
    since: Timestamp | None = None
    until: Timestamp | None = None
    granularity: str | None = None


class MetricsPoint(LayersModel):
    """One bucket; metric values are extra fields under their snake_case names (`point.views`)."""

    bucket: str


class MetricsResponse(LayersModel):
    scope: str | None = None
    id: str | None = None
    window: MetricsWindow | None = None
    series: list[MetricsPoint]
    totals: dict[str, Any]


class OrganicPerformance(LayersModel):
    views: float | None = None
    engagement_rate: float | None = None
    watch_time_ms: float | None = None
    platforms: list[str] = Field(default_factory=list)


class PaidPerformance(LayersModel):
    spend: float | None = None
    conversions: float | None = None
    cpa: float | None = None
    roas: float | None = None


class TopPerformer(LayersModel):
    rank: int
    source_type: str | None = None
    source_id: str | None = None
    platform_post_id: str | None = None
    ads_content_id: str | None = None
    title: str | None = None
    thumbnail_url: str | None = None
    metric_value: float | None = None
    organic: OrganicPerformance | None = None
    paid: PaidPerformance | None = None


class TopPerformersResponse(LayersModel):
    metric: str | None = None
    window: str | None = None
    items: list[TopPerformer]


class Eligibility(LayersModel):
    is_eligible: bool
    reason: str | None = None


class AdsContentItem(LayersModel):
    ads_content_id: str
    source_type: str | None = None
    source_id: str | None = None
    platform_post_id: str | None = None
    scoring_pool: str | None = None
    organic_score: float | None = None
    organic_performance: dict[str, Any] | None = None
    ad_performance: PaidPerformance | None = None
    scored_at: Timestamp | None = None
    scoring_version: int | None = None
    eligibility: Eligibility | None = None
    override: str | None = None
    override_note: str | None = None
    override_set_by: str | None = None
    override_set_at: Timestamp | None = None
    active_promotions: list[Any] = Field(default_factory=list)


class AdsContentPage(Page[AdsContentItem]):
    pass


class AdsMetricsRow(LayersModel):
    """A bucket, or with `groupBy=ad` one ad's totals (INFERRED shape, contract §19): numbers default to 0."""

    bucket: str | None = None
    ad_id: str | None = None
    ads_content_id: str | None = None
    adset_id: str | None = None
    campaign_id: str | None = None
    platform: str | None = None
    spend: Count = 0.0
    impressions: Count = 0.0
    conversions: Count = 0.0
    cpa: float | None = None
    roas: float | None = None


class AdsMetricsResponse(LayersModel):
    scope: str | None = None
    id: str | None = None
    window: MetricsWindow | None = None
    series: list[AdsMetricsRow]
    totals: dict[str, Any] = Field(default_factory=dict)


class RecommendationSubject(LayersModel):
    type: str
    id: str
    label: str | None = None


class SuggestedAction(LayersModel):
    endpoint: str
    method: str
    body: dict[str, Any] | None = None


class Recommendation(LayersModel):
    recommendation_id: str
    kind: str
    status: str | None = None
    confidence: float
    created_at: Timestamp | None = None
    subject: RecommendationSubject | None = None
    rationale: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    suggested_action: SuggestedAction | None = None


class RecommendationPage(Page[Recommendation]):
    pass


class JobEnvelope(LayersModel):
    """The 202 answer of every async start; poll `location_url` (or `GET /v1/jobs/{job_id}`)."""

    job_id: str
    kind: str | None = None
    status: str | None = None
    stage: str | None = None
    project_id: str | None = None
    container_id: str | None = None
    container_ids: list[str] = Field(default_factory=list)
    run_id: str | None = None
    location_url: str | None = None
    started_at: Timestamp | None = None

    @property
    def all_container_ids(self) -> list[str]:
        """Gen-A sends `containerId`, Gen-B `containerIds`; this is the union, in order."""
        ids = [self.container_id] if self.container_id else []
        return ids + [c for c in self.container_ids if c not in ids]


class JobError(LayersModel):
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] | None = None


class Job(LayersModel):
    job_id: str
    kind: str | None = None
    status: str
    progress: float | None = None
    stage: str | None = None
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None
    container_id: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in JOB_TERMINAL


class JobCancelResult(LayersModel):
    job_id: str
    accepted: bool
    reason: str | None = None


class ContainerPreview(LayersModel):
    kind: str | None = None
    primary_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    hls_url: str | None = None
    duration_ms: float | None = None
    aspect_ratio: str | None = None
    image_urls: list[str] = Field(default_factory=list)


class ContainerAsset(LayersModel):
    asset_id: str | None = None
    kind: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None


class Container(LayersModel):
    id: str
    project_id: str | None = None
    status: Annotated[str | None, _gen_b(GEN_A_CONTAINER_STATUS)] = None
    approval_status: str | None = None
    format: Annotated[str | None, _gen_b(GEN_A_FORMAT)] = None
    hook: str | None = None
    caption: str | None = None
    first_comment: str | None = None
    influencer_id: str | None = None
    source_tiktok_id: str | None = None
    media_id: str | None = None
    creative_type: str | None = None
    preview: ContainerPreview | None = None
    assets: list[ContainerAsset] = Field(default_factory=list)
    brief: dict[str, Any] | None = None
    last_error: dict[str, Any] | None = None
    created_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    failed_at: Timestamp | None = None


@dataclass(frozen=True)
class JobPoll:
    """One poll of a job: `job` is None when the server answered 304 (unchanged since `etag`)."""

    job: Job | None
    etag: str | None
    not_modified: bool
