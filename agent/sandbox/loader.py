"""The scenario loader: a validated `Scenario` in, a fresh `SandboxState` with its records out.

Relative times (`ageDays`, `ageHours`, `createdAgeDays`) are measured back from the sandbox clock at
load time, so the same scenario is fresh on any date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from agent.sandbox import ids, publishing
from agent.sandbox.clock import Clock, JobClock
from agent.sandbox.records import (
    AdRec,
    AdsContentRec,
    PostRec,
    ProjectRec,
    RecommendationRec,
    cover_url,
    watch_time,
)
from agent.sandbox.scenario_schema import Ad, AdsContentRow, Post, Project, Recommendation, Scenario
from agent.sandbox.state import JobSettings, SandboxState

SCENARIO_OVERRIDE_AGE = timedelta(days=1)
SCORED_AGE = timedelta(hours=4)


def build_state(
    scenario: Scenario, *, clock: Clock, job_clock: JobClock, job_settings: JobSettings, rate_limit_tier: str
) -> SandboxState:
    state = SandboxState(
        organization=scenario.organization,
        clock=clock,
        job_clock=job_clock,
        job_settings=job_settings,
        rate_limit_tier=rate_limit_tier,
    )
    now = clock()
    for spec in scenario.projects:
        project = _project(spec, now)
        state.projects[project.id] = project
        for post_spec in spec.posts:
            post = _post(project.id, post_spec, now)
            state.posts[post.id] = post
            if post.ads_content_id:
                state.ads_content[post.ads_content_id] = _post_ads_content(post, now)
        for row_spec in spec.ads_content:
            row = _ads_content(project.id, row_spec, now)
            state.ads_content[row.id] = row
        state.ads.extend(_ad(project.id, ad, now.date()) for ad in spec.ads)
        for rec_spec in spec.recommendations:
            rec = _recommendation(project.id, rec_spec, now)
            state.recommendations[rec.id] = rec
        publishing.load(state, project.id, spec.publishing, now)  # issue 15
        if spec.raw_top_performers:
            state.raw_top_performers[project.id] = [dict(row) for row in spec.raw_top_performers]
    return state


def _project(spec: Project, now: datetime) -> ProjectRec:
    created = now - timedelta(days=spec.created_age_days)
    return ProjectRec(
        id=ids.decode("project", spec.id),
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


def _post(project_id: str, post: Post, now: datetime) -> PostRec:
    post_id = ids.decode("post", post.platform_post_id)
    return PostRec(
        id=post_id,
        project_id=project_id,
        title=post.title,
        source_type=post.source_type,
        views=post.views,
        engagement_rate=post.engagement_rate,
        watch_time_ms=watch_time(post.views, post.watch_time_ms),
        platforms=list(post.platforms),
        published_at=post.published_at or now - timedelta(days=post.age_days or 0),
        organic_score=post.organic_score,
        override=post.override,
        external_id=post.external_id,
        source_id=ids.decode("container", post.source_id) if post.source_id else None,
        ads_content_id=ids.decode("ads_content", post.ads_content_id) if post.ads_content_id else None,
        paid=post.paid,
        thumbnail_url=post.thumbnail_url or cover_url(post_id),
        prior_clones=post.prior_clones,
        clone_job=post.clone_job,
    )


def _post_ads_content(post: PostRec, now: datetime) -> AdsContentRec:
    """The ads-content row a post with `adsContentId` gets: it carries the post's score and override."""
    row = AdsContentRec(
        id=post.ads_content_id or "",
        project_id=post.project_id,
        source_type=post.source_type,
        scoring_pool="ugc" if post.source_type == "platform_post" else "generated",
        organic_score=post.organic_score if post.organic_score is not None else 0.0,
        created_at=post.published_at,
        scored_at=now - SCORED_AGE,
        source_id=post.source_id,
        platform_post_id=post.id,
        title=post.title,
        views=post.views,
        engagement_rate=post.engagement_rate,
        ad_performance=post.paid,
    )
    row.set_override(post.override, None, now - SCENARIO_OVERRIDE_AGE)
    return row


def _ads_content(project_id: str, spec: AdsContentRow, now: datetime) -> AdsContentRec:
    row = AdsContentRec(
        id=ids.decode("ads_content", spec.ads_content_id),
        project_id=project_id,
        source_type=spec.source_type,
        scoring_pool=spec.scoring_pool,
        organic_score=spec.organic_score,
        created_at=now - timedelta(days=spec.age_days),
        scored_at=now - timedelta(hours=spec.scored_age_hours),
        source_id=ids.decode("container", spec.source_id) if spec.source_id else None,
        platform_post_id=ids.decode("post", spec.platform_post_id) if spec.platform_post_id else None,
        title=spec.title,
        views=spec.views,
        engagement_rate=spec.engagement_rate,
        is_default_score=spec.is_default_score,
        ad_performance=spec.ad_performance,
        scoring_version=spec.scoring_version,
        safety_failed=spec.safety_failed,
    )
    row.set_override(spec.override, spec.override_note, now - SCENARIO_OVERRIDE_AGE)
    return row


def _ad(project_id: str, ad: Ad, today: date) -> AdRec:
    last = today - timedelta(days=ad.end_days_ago)
    daily = ad.daily
    return AdRec(
        ad_id=ad.ad_id,
        project_id=project_id,
        adset_id=ad.adset_id,
        campaign_id=ad.campaign_id,
        ad_account_id=ad.ad_account_id,
        platform=ad.platform,
        ads_content_id=ids.decode("ads_content", ad.ads_content_id) if ad.ads_content_id else None,
        first_day=last - timedelta(days=ad.active_days - 1),
        last_day=last,
        spend=daily.spend,
        impressions=daily.impressions,
        clicks=daily.clicks,
        conversions=daily.conversions,
        revenue=daily.revenue if daily.revenue is not None else (daily.roas or 0.0) * daily.spend,
        conversion_delay_hours=ad.conversion_delay_hours,
    )


def _recommendation(project_id: str, rec: Recommendation, now: datetime) -> RecommendationRec:
    return RecommendationRec(
        id=ids.decode("recommendation", rec.recommendation_id),
        project_id=project_id,
        kind=rec.kind,
        status=rec.status,
        confidence=rec.confidence,
        created_at=now - timedelta(hours=rec.age_hours),
        subject=rec.subject.model_dump(exclude_none=True),
        rationale=rec.rationale,
        evidence=dict(rec.evidence),
        suggested_action=rec.suggested_action.model_dump() if rec.suggested_action else None,
    )
