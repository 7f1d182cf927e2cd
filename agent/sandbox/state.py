"""The simulated org's data, in memory, behind one re-entrant lock.

Loaded from a scenario against the sandbox clock; jobs are settled lazily (containers finished,
posts published) at the start of every API request, so reads never need a background thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import Clock, JobClock
from agent.sandbox.errors import ApiError, conflict, not_found
from agent.sandbox.jobs import Job
from agent.sandbox.scenario import JobBehaviour, PaidMetrics, Post, PublishedPost, Scenario, resolve_time

MEDIA_BASE = "https://media.layers.com/sandbox"


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


@dataclass
class SandboxState:
    scenario: Scenario
    clock: Clock
    job_clock: JobClock
    concurrent_jobs: int | None
    job_duration_scale: float
    rate_limit_tier: str = "standard"
    lock: threading.RLock = field(default_factory=threading.RLock)
    projects: dict[str, ProjectRec] = field(default_factory=dict)
    posts: dict[str, PostRec] = field(default_factory=dict)
    ads_content: dict[str, AdsContentRec] = field(default_factory=dict)
    ads: list[AdRec] = field(default_factory=list)
    recommendations: dict[str, RecommendationRec] = field(default_factory=dict)
    containers: dict[str, ContainerRec] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    clone_answers: dict[str, StoredAnswer] = field(default_factory=dict)
    generation_answers: dict[str, StoredAnswer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._load()

    # ---- loading -------------------------------------------------------------------------------

    def _load(self) -> None:
        now = self.clock()
        today = now.date()
        for spec in self.scenario.projects:
            pid = ids.bare(spec.id, "prj")
            created = now - timedelta(days=spec.created_age_days)
            self.projects[pid] = ProjectRec(
                id=pid,
                name=spec.name,
                status=spec.status,
                customer_external_id=spec.customer_external_id,
                timezone=spec.timezone,
                primary_language=spec.primary_language,
                owner_email=spec.owner_email,
                requires_approval=spec.requires_approval,
                first_n_posts_blocked=spec.first_n_posts_blocked,
                created_at=created,
                updated_at=created,
                stage=spec.stage,
                brand=dict(spec.brand) if spec.brand is not None else None,
                app_name=spec.app_name,
                app_description=spec.app_description,
                generation_job=spec.generation_job,
            )
            for post in spec.posts:
                self._load_post(pid, post, now)
            for row in spec.ads_content:
                rid = ids.bare(row.ads_content_id, "adc")
                self.ads_content[rid] = AdsContentRec(
                    id=rid,
                    project_id=pid,
                    source_type=row.source_type,
                    scoring_pool=row.scoring_pool,
                    organic_score=row.organic_score,
                    created_at=now - timedelta(days=row.age_days),
                    scored_at=now - timedelta(hours=row.scored_age_hours),
                    source_id=ids.bare(row.source_id, "cnt") if row.source_id else None,
                    platform_post_id=ids.bare(row.platform_post_id, "pp") if row.platform_post_id else None,
                    title=row.title,
                    views=row.views,
                    engagement_rate=row.engagement_rate,
                    is_default_score=row.is_default_score,
                    ad_performance=row.ad_performance,
                    scoring_version=row.scoring_version,
                    override=row.override,
                    override_note=row.override_note,
                    override_set_by="api_key" if row.override else None,
                    override_set_at=now - timedelta(days=1) if row.override else None,
                    safety_failed=row.safety_failed,
                )
            for ad in spec.ads:
                last = today - timedelta(days=ad.end_days_ago)
                daily = ad.daily
                revenue = daily.revenue if daily.revenue is not None else (daily.roas or 0.0) * daily.spend
                self.ads.append(
                    AdRec(
                        ad_id=ad.ad_id,
                        project_id=pid,
                        adset_id=ad.adset_id,
                        campaign_id=ad.campaign_id,
                        ad_account_id=ad.ad_account_id,
                        platform=ad.platform,
                        ads_content_id=ids.bare(ad.ads_content_id, "adc") if ad.ads_content_id else None,
                        first_day=last - timedelta(days=ad.active_days - 1),
                        last_day=last,
                        spend=daily.spend,
                        impressions=daily.impressions,
                        clicks=daily.clicks,
                        conversions=daily.conversions,
                        revenue=revenue,
                    )
                )
            for rec in spec.recommendations:
                rec_id = ids.bare(rec.recommendation_id, "rec")
                self.recommendations[rec_id] = RecommendationRec(
                    id=rec_id,
                    project_id=pid,
                    kind=rec.kind,
                    status=rec.status,
                    confidence=rec.confidence,
                    created_at=now - timedelta(hours=rec.age_hours),
                    subject=rec.subject.model_dump(exclude_none=True),
                    rationale=rec.rationale,
                    evidence=dict(rec.evidence),
                    suggested_action=rec.suggested_action.model_dump() if rec.suggested_action else None,
                )

    def _load_post(self, project_id: str, post: Post, now: datetime) -> None:
        post_id = ids.bare(post.platform_post_id, "pp")
        published = resolve_time(now, post.age_days, post.published_at)
        rec = PostRec(
            id=post_id,
            project_id=project_id,
            title=post.title,
            source_type=post.source_type,
            views=post.views,
            engagement_rate=post.engagement_rate,
            watch_time_ms=post.watch_time_ms
            if post.watch_time_ms is not None
            else default_watch_time(post.views),
            platforms=list(post.platforms),
            published_at=published,
            organic_score=post.organic_score,
            override=post.override,
            external_id=post.external_id,
            source_id=ids.bare(post.source_id, "cnt") if post.source_id else None,
            paid=post.paid,
            thumbnail_url=post.thumbnail_url or f"{MEDIA_BASE}/posts/{post_id}/cover.jpg",
            prior_clones=post.prior_clones,
            clone_job=post.clone_job,
        )
        if post.ads_content_id:
            rid = ids.bare(post.ads_content_id, "adc")
            rec.ads_content_id = rid
            self.ads_content[rid] = AdsContentRec(
                id=rid,
                project_id=project_id,
                source_type=post.source_type,
                scoring_pool="ugc" if post.source_type == "platform_post" else "generated",
                organic_score=post.organic_score if post.organic_score is not None else 0.0,
                created_at=published,
                scored_at=now - timedelta(hours=4),
                source_id=rec.source_id,
                platform_post_id=post_id,
                title=post.title,
                views=post.views,
                engagement_rate=post.engagement_rate,
                ad_performance=post.paid,
                override=post.override,
                override_set_by="api_key" if post.override else None,
                override_set_at=now - timedelta(days=1) if post.override else None,
            )
        self.posts[post_id] = rec

    # ---- lookups -------------------------------------------------------------------------------

    def project(self, raw_id: str) -> ProjectRec:
        project = self.projects.get(ids.bare(raw_id, "prj"))
        if project is None:
            raise not_found("Project not found.")
        return project

    def visible_posts(self, project_id: str | None = None) -> list[PostRec]:
        """Posts already published at the current sandbox time (job-published posts may be delayed)."""
        now = self.clock()
        return [
            post
            for post in self.posts.values()
            if post.published_at <= now and (project_id is None or post.project_id == project_id)
        ]

    def find_post(self, project_id: str, reference: str) -> PostRec | None:
        """A clone source: the `pp_` id, its bare UUID, or the platform-native external id."""
        post = self.posts.get(ids.bare(reference, "pp"))
        if post is None:
            post = next(
                (p for p in self.posts.values() if p.external_id and p.external_id == reference), None
            )
        if post is None or post.project_id != project_id or post.published_at > self.clock():
            return None
        return post

    def score_and_override(self, post: PostRec) -> tuple[float | None, str | None]:
        """A post linked to an ads-content row is gated by that row (the PATCH override lands there)."""
        row = self.ads_content.get(post.ads_content_id or "")
        if row is not None:
            return row.organic_score, row.override
        return post.organic_score, post.override

    def container(self, raw_id: str) -> ContainerRec:
        container = self.containers.get(ids.bare(raw_id, "cnt"))
        if container is None:
            raise ApiError(404, "NOT_FOUND", "Container not found.")
        return container

    # ---- jobs ----------------------------------------------------------------------------------

    def running_jobs(self) -> list[Job]:
        at = self.job_clock.now()
        return [job for job in self.jobs.values() if job.status(at) == "running"]

    def check_concurrency(self) -> None:
        """429 on the start that would exceed the concurrent running-jobs cap (contract §4.3)."""
        if self.concurrent_jobs is None:
            return
        running = self.running_jobs()
        if len(running) >= self.concurrent_jobs:
            at = self.job_clock.now()
            wait = min(job.end for job in running) - at
            retry_after = max(1, int(wait.total_seconds() + 0.999))
            raise ApiError(
                429,
                "RATE_LIMITED",
                f"Too many running jobs ({len(running)}); wait for one to finish.",
                {"subcode": "CONCURRENT_JOBS_LIMIT", "limit": self.concurrent_jobs},
                {"Retry-After": str(retry_after)},
            )

    def ensure_container_id_free(self, container_id: str) -> None:
        if container_id in self.containers:
            raise conflict("A container with this id already exists.", containerId=f"cnt_{container_id}")

    def start_job(
        self,
        *,
        kind: str,
        project: ProjectRec,
        container_ids: list[str],
        behaviour: JobBehaviour | None,
        origin: str,
        format_name: str,
        hook: str | None,
        caption: str | None,
        brief: dict[str, Any] | None = None,
        source_post: PostRec | None = None,
    ) -> Job:
        defaults = self.scenario.jobs
        behaviour = behaviour or JobBehaviour()
        duration_s = (
            behaviour.duration_seconds or defaults.default_duration_seconds
        ) * self.job_duration_scale
        outcome = behaviour.outcome or defaults.default_outcome
        error = (behaviour.error or defaults.error).model_dump()
        now = self.clock()
        job = Job.create(
            job_id=ids.bare(ids.job_id(), "job"),
            kind=kind,
            project_id=project.id,
            container_ids=container_ids,
            started_at=now,
            start=self.job_clock.now(),
            duration=timedelta(seconds=duration_s),
            outcome=outcome,
            fail_at=behaviour.fail_at or defaults.fail_at,
            error=error,
            publishes=list(behaviour.publishes),
            source_post_id=source_post.id if source_post else None,
        )
        self.jobs[job.id] = job
        approval = "pending" if self._needs_review(project) else "not_required"
        for cid in container_ids:
            self.containers[cid] = ContainerRec(
                id=cid,
                project_id=project.id,
                job_id=job.id,
                origin=origin,
                format=format_name,
                hook=hook,
                caption=caption,
                created_at=now,
                approval_status=approval,
                source_post_id=source_post.id if source_post else None,
                brief=brief,
            )
        return job

    def _needs_review(self, project: ProjectRec) -> bool:
        if project.requires_approval:
            return True
        decided = sum(
            1
            for c in self.containers.values()
            if c.project_id == project.id and c.approval_status in ("approved", "rejected")
        )
        return decided < project.first_n_posts_blocked

    def settle(self) -> None:
        """Apply the effects of every job that has ended: container status, and published posts."""
        at = self.job_clock.now()
        for job in self.jobs.values():
            if job.settled or at < job.end:
                continue
            job.settled = True
            finished = self.job_clock.to_real(job.end)
            for cid in job.container_ids:
                container = self.containers[cid]
                container.final_status = job.final_status
                container.finished_at = finished
                if job.final_status == "completed":
                    container.asset_id = ids.asset_id()
                if job.final_status == "failed":
                    container.last_error = job.error
            for index, spec in enumerate(job.publishes):
                self._publish(job, index, spec, finished)

    def _publish(self, job: Job, index: int, spec: PublishedPost, finished: datetime) -> None:
        cid = job.container_ids[index % len(job.container_ids)]
        post_id = ids.derived_uuid("published", job.id, str(index))
        container = self.containers[cid]
        self.posts[post_id] = PostRec(
            id=post_id,
            project_id=job.project_id,
            title=spec.title or container.hook or "Sandbox clone",
            source_type="content_container",
            source_id=cid,
            views=spec.views,
            engagement_rate=spec.engagement_rate,
            watch_time_ms=spec.watch_time_ms
            if spec.watch_time_ms is not None
            else default_watch_time(spec.views),
            platforms=list(spec.platforms),
            published_at=finished + timedelta(minutes=spec.delay_minutes),
            organic_score=spec.organic_score,
            override=None,
            thumbnail_url=f"{MEDIA_BASE}/posts/{post_id}/cover.jpg",
        )

    def container_status(self, container: ContainerRec) -> str:
        if container.final_status is not None:
            return container.final_status
        job = self.jobs[container.job_id]
        return "queued" if job.stage(self.job_clock.now()) == "queued" else "processing"


def default_watch_time(views: int) -> int:
    """About 4.2 s watched per view when the scenario does not say."""
    return views * 4200
