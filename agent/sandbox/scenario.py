"""The scenario file: what the simulated Layers org contains and how its jobs behave.

Validated with pydantic; unknown keys are errors so a typo never silently means "default". Every
problem is reported as `ScenarioError("<file>: <field path>: <what is wrong>")`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

DEMO_SCENARIO_PATH = Path(__file__).parent / "scenarios" / "demo.yaml"
API_KEY_RE = re.compile(r"^lp_test_[A-Za-z0-9]+_[A-Za-z0-9_-]+$")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _prefixed_id(prefix: str) -> Any:
    return Annotated[str, StringConstraints(pattern=rf"^{prefix}_{_UUID}$")]


OrgId = _prefixed_id("org")
ProjectId = _prefixed_id("prj")
PostId = _prefixed_id("pp")
AdsContentId = _prefixed_id("adc")
ContainerId = _prefixed_id("cnt")
RecommendationId = _prefixed_id("rec")
Rate = Annotated[float, Field(ge=0, le=1)]
Score = Annotated[float, Field(ge=0, le=10)]
Platform = Literal["instagram", "tiktok", "youtube"]
Outcome = Literal["completed", "failed", "canceled"]
Override = Literal["include", "exclude"]


class ScenarioError(Exception):
    """The scenario file is unreadable or invalid; the message names the file and the field path."""


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
    platforms: list[Platform] = Field(default_factory=lambda: ["tiktok"], min_length=1)
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
    platforms: list[Platform] = Field(default_factory=lambda: ["tiktok"], min_length=1)
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


class Subject(_Model):
    type: str
    id: str
    label: str | None = None


class SuggestedAction(_Model):
    endpoint: str
    method: str
    body: dict[str, Any] | None = None


class Recommendation(_Model):
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
    projects: list[Project] = Field(default_factory=list)

    @field_validator("api_keys")
    @classmethod
    def _key_shape(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if not API_KEY_RE.match(key):
                raise ValueError("every api key must look like lp_test_<id>_<secret>")
        return keys


def _format_loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _cross_check(scenario: Scenario) -> list[str]:
    """References between objects, which field validators cannot see."""
    problems: list[str] = []
    seen: dict[str, str] = {}

    def unique(value: str, path: str) -> None:
        key = value.lower()
        if key in seen:
            problems.append(f"{path}: id {value} is already used at {seen[key]}")
        else:
            seen[key] = path

    for p, project in enumerate(scenario.projects):
        base = f"projects[{p}]"
        unique(project.id, f"{base}.id")
        post_ids = {post.platform_post_id.lower() for post in project.posts}
        ads_content_ids: set[str] = set()
        for i, post in enumerate(project.posts):
            unique(post.platform_post_id, f"{base}.posts[{i}].platformPostId")
            if post.ads_content_id:
                unique(post.ads_content_id, f"{base}.posts[{i}].adsContentId")
                ads_content_ids.add(post.ads_content_id.lower())
        for i, row in enumerate(project.ads_content):
            unique(row.ads_content_id, f"{base}.adsContent[{i}].adsContentId")
            ads_content_ids.add(row.ads_content_id.lower())
            if row.platform_post_id and row.platform_post_id.lower() not in post_ids:
                problems.append(
                    f"{base}.adsContent[{i}].platformPostId: {row.platform_post_id} is not a post of this project"
                )
        for i, ad in enumerate(project.ads):
            if ad.ads_content_id and ad.ads_content_id.lower() not in ads_content_ids:
                problems.append(
                    f"{base}.ads[{i}].adsContentId: {ad.ads_content_id} is not an ads-content row of this project"
                )
        ad_ids = [ad.ad_id for ad in project.ads]
        for i, ad_id in enumerate(ad_ids):
            if ad_id in ad_ids[:i]:
                problems.append(f"{base}.ads[{i}].adId: duplicate ad id {ad_id}")
        for i, rec in enumerate(project.recommendations):
            unique(rec.recommendation_id, f"{base}.recommendations[{i}].recommendationId")
    return problems


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML/JSON data; `source` names it in error messages."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_format_loc(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ScenarioError(f"{source}: " + "; ".join(lines)) from None
    problems = _cross_check(scenario)
    if problems:
        raise ScenarioError(f"{source}: " + "; ".join(problems))
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({exc})") from None
    return parse_scenario(data, str(path))


def resolve_time(now: datetime, age_days: float | None, at: datetime | None) -> datetime:
    """Relative ages are measured back from the sandbox clock, so the demo is valid on any date."""
    if at is not None:
        return at
    return now - timedelta(days=age_days or 0)
