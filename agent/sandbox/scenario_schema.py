"""The scenario file's schema: what the simulated Layers org contains and how its jobs behave.

Validated with pydantic; unknown keys are errors so a typo never silently means "default". Written
from the contract, never from agent.layers, so the client's models and these check each other.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from agent.sandbox import ids
from agent.sandbox.auth import API_KEY_RE
from agent.sandbox.publishing_schema import Publishing


def _id_pattern(kind: ids.Kind) -> str:
    return rf"^{ids.PREFIXES[kind]}_{ids.UUID_PATTERN}$"


OrgId = Annotated[str, StringConstraints(pattern=_id_pattern("organization"))]
ProjectId = Annotated[str, StringConstraints(pattern=_id_pattern("project"))]
PostId = Annotated[str, StringConstraints(pattern=_id_pattern("post"))]
AdsContentId = Annotated[str, StringConstraints(pattern=_id_pattern("ads_content"))]
ContainerId = Annotated[str, StringConstraints(pattern=_id_pattern("container"))]
RecommendationId = Annotated[str, StringConstraints(pattern=_id_pattern("recommendation"))]
Rate = Annotated[float, Field(ge=0, le=1)]
Score = Annotated[float, Field(ge=0, le=10)]
Platform = Literal["instagram", "tiktok", "youtube"]
Outcome = Literal["completed", "failed", "canceled"]
Override = Literal["include", "exclude"]


def _tiktok_only() -> list[Platform]:
    return ["tiktok"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)


class ErrorSpec(_Model):
    """The `error` a failed job reports."""

    code: str = "GENERATION_FAILED"
    message: str = "Content generation failed in the sandbox."


class PublishedPost(_Model):
    """A post that appears (synced from the platform) when a job completes."""

    title: str | None = None
    views: Annotated[int, Field(ge=0)]
    engagement_rate: Rate
    watch_time_ms: Annotated[int, Field(ge=0)] | None = None
    platforms: list[Platform] = Field(default_factory=_tiktok_only, min_length=1)
    organic_score: Score = 5.0
    delay_minutes: Annotated[float, Field(ge=0)] = 0


class JobBehaviour(_Model):
    """How a job ends; unset fields fall back to the scenario-wide `jobs` defaults."""

    outcome: Outcome | None = None
    duration_seconds: Annotated[float, Field(gt=0)] | None = None
    fail_at: Annotated[float, Field(gt=0, lt=1)] | None = None
    error: ErrorSpec | None = None
    publishes: list[PublishedPost] = Field(default_factory=list)


class PaidMetrics(_Model):
    spend: Annotated[float, Field(ge=0)]
    conversions: Annotated[int, Field(ge=0)]
    cpa: Annotated[float, Field(ge=0)] | None = None
    roas: Annotated[float, Field(ge=0)] | None = None


class Post(_Model):
    """A platform post Layers has synced (the unit of top-performers and clone sources)."""

    platform_post_id: PostId
    external_id: str | None = None
    title: str
    source_type: Literal["platform_post", "content_container", "manual"] = "platform_post"
    source_id: ContainerId | None = None
    views: Annotated[int, Field(ge=0)]
    engagement_rate: Rate
    watch_time_ms: Annotated[int, Field(ge=0)] | None = None
    platforms: list[Platform] = Field(default_factory=_tiktok_only, min_length=1)
    age_days: Annotated[float, Field(ge=0)] | None = None
    published_at: AwareDatetime | None = None
    organic_score: Score | None = 5.0
    override: Override | None = None
    ads_content_id: AdsContentId | None = None
    paid: PaidMetrics | None = None
    thumbnail_url: str | None = None
    prior_clones: Annotated[int, Field(ge=0)] = 0
    clone_job: JobBehaviour | None = None

    @model_validator(mode="after")
    def _one_publication_time(self) -> Post:
        if (self.age_days is None) == (self.published_at is None):
            raise ValueError("give exactly one of ageDays or publishedAt")
        if self.override is not None and self.ads_content_id is None:
            # Overrides live on ads-content rows (§18.2): without one, no API call could reveal it.
            raise ValueError("override needs adsContentId: an override is set on the post's ads-content row")
        return self


class AdsContentRow(_Model):
    """An ads-content row that is not a synced post (posts with `adsContentId` get one automatically)."""

    ads_content_id: AdsContentId
    source_type: Literal["content_container", "platform_post", "manual"] = "content_container"
    source_id: ContainerId | None = None
    platform_post_id: PostId | None = None
    scoring_pool: Literal["generated", "ugc", "manual"] = "generated"
    organic_score: Score
    title: str | None = None
    views: Annotated[int, Field(ge=0)] = 0
    engagement_rate: Rate = 0.0
    is_default_score: bool = False
    ad_performance: PaidMetrics | None = None
    age_days: Annotated[float, Field(ge=0)] = 3
    scored_age_hours: Annotated[float, Field(ge=0)] = 4
    scoring_version: Annotated[int, Field(ge=1)] = 3
    override: Override | None = None
    override_note: Annotated[str, Field(max_length=280)] | None = None
    safety_failed: bool = False


class AdDaily(_Model):
    """What one ad does on each of its active days."""

    spend: Annotated[float, Field(ge=0)] = 0
    impressions: Annotated[int, Field(ge=0)] = 0
    clicks: Annotated[int, Field(ge=0)] = 0
    conversions: Annotated[int, Field(ge=0)] = 0
    revenue: Annotated[float, Field(ge=0)] | None = None
    roas: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _revenue_or_roas(self) -> AdDaily:
        if self.revenue is not None and self.roas is not None:
            raise ValueError("give revenue or roas, not both")
        return self


class Ad(_Model):
    """A running ad; it reports `daily` on each day from `endDaysAgo` back `activeDays` days (UTC)."""

    ad_id: Annotated[str, Field(min_length=1)]
    adset_id: str = "adset_sandbox"
    campaign_id: str = "cmp_sandbox"
    ad_account_id: str = "act_sandbox"
    platform: Literal["meta_ads", "tiktok_ads", "apple_ads"] = "meta_ads"
    ads_content_id: AdsContentId | None = None
    daily: AdDaily
    active_days: Annotated[int, Field(ge=1, le=400)] = 14
    end_days_ago: Annotated[int, Field(ge=0)] = 0
    # issue 15: a day's conversions arrive this late
    conversion_delay_hours: Annotated[float, Field(ge=0)] = 0


class Subject(_Model):
    """What a recommendation is about: type and id name it (clients dedupe by kind and id)."""

    type: Annotated[str, Field(min_length=1)]
    id: Annotated[str, Field(min_length=1)]
    label: str | None = None


class SuggestedAction(_Model):
    """Served verbatim, hostile or not: vetting it is the client's job (the demo holds a hostile one)."""

    endpoint: str
    method: str
    body: dict[str, Any] | None = None


class Recommendation(_Model):
    """A recommendation Layers has made; any `kind` is allowed so new kinds can be tested."""

    recommendation_id: RecommendationId
    kind: Annotated[str, Field(min_length=1)]
    status: Literal["open", "acknowledged", "dismissed", "acted_on"] = "open"
    confidence: Rate
    age_hours: Annotated[float, Field(ge=0)] = 6
    subject: Subject
    rationale: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    suggested_action: SuggestedAction | None = None


class Project(_Model):
    """One end-customer. `stage` and `note` are sandbox-only: the API never returns them."""

    id: ProjectId
    name: Annotated[str, Field(min_length=1, max_length=128)]
    customer_external_id: str | None = None
    timezone: str = "UTC"
    stage: Literal["early", "growth", "mature"] = "early"
    note: str | None = None
    status: Literal["active", "archived"] = "active"
    requires_approval: bool = True
    first_n_posts_blocked: Annotated[int, Field(ge=0, le=50)] = 0
    primary_language: str = "en"
    owner_email: str | None = None
    app_name: str | None = None
    app_description: str | None = None
    brand: dict[str, Any] | None = None
    created_age_days: Annotated[float, Field(ge=0)] = 30
    posts: list[Post] = Field(default_factory=list)
    ads_content: list[AdsContentRow] = Field(default_factory=list)
    ads: list[Ad] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    generation_job: JobBehaviour | None = None
    publishing: Publishing | None = None  # issue 15: accounts, the customer's review, posts, clone metrics
    # Sandbox-only: rows served verbatim after the real ones by top-performers (impossible numbers included,
    # YAML `.inf` is served as `Infinity`), to try a client on a Layers that breaks its contract.
    raw_top_performers: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value


class Organization(_Model):
    id: OrgId = "org_5a1d0b3e-7c4f-4e2a-9b8d-1f2e3d4c5b6a"
    name: str = "Growth Agent Sandbox"
    credit_balance: Annotated[int, Field(ge=0)] = 5000


class RateLimits(_Model):
    """Tier name or `custom` numbers; `disabled` switches limiting off (YAML `off` means the same)."""

    tier: Literal["standard", "pilot", "partner", "custom", "disabled"] = "standard"
    read_light: Annotated[int, Field(ge=1)] | None = None
    write_light: Annotated[int, Field(ge=1)] | None = None
    long_running: Annotated[int, Field(ge=1)] | None = None
    daily_write: Annotated[int, Field(ge=1)] | None = None
    concurrent_jobs: Annotated[int, Field(ge=1)] = 10

    @field_validator("tier", mode="before")
    @classmethod
    def _yaml_off(cls, value: Any) -> Any:
        return "disabled" if value is False else value

    @model_validator(mode="after")
    def _custom_numbers(self) -> RateLimits:
        given = [self.read_light, self.write_light, self.long_running]
        if self.tier == "custom" and None in given:
            raise ValueError("tier custom needs readLight, writeLight and longRunning")
        if self.tier != "custom" and any(v is not None for v in given):
            raise ValueError("readLight/writeLight/longRunning only apply to tier custom")
        return self


class JobDefaults(_Model):
    default_duration_seconds: Annotated[float, Field(gt=0)] = 6
    default_outcome: Outcome = "completed"
    fail_at: Annotated[float, Field(gt=0, lt=1)] = 0.6
    duration_scale: Annotated[float, Field(gt=0)] = 1.0
    error: ErrorSpec = Field(default_factory=ErrorSpec)


class Scenario(_Model):
    version: Literal[1] = 1
    description: str | None = None
    organization: Organization = Field(default_factory=Organization)
    api_keys: list[str] = Field(default_factory=list)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    jobs: JobDefaults = Field(default_factory=JobDefaults)
    # K times faster than the real API: rate-limit windows and job durations divided by K (fleet benchmarks).
    time_scale: Annotated[float, Field(gt=0)] = 1.0
    projects: list[Project] = Field(default_factory=list)

    @field_validator("api_keys")
    @classmethod
    def _key_shape(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if not API_KEY_RE.match(key):
                raise ValueError("every api key must look like lp_test_<id>_<secret>")
        return keys
