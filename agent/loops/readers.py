"""Reading Layers into the rules' plain inputs. Every loop reads through here, so no loop imports another
and one response shape is turned into rule inputs in one place.

Each thing is read once per customer-day: publish-to-learn reads the ranking and the whole creative pool,
and keeps both with its run (`PublishInput`); the day's optimization run derives its pool check, its
health snapshot and its hook source from them. The stage-metric top 3 and the hook source come from the
ranking's own rows (each row carries its paid numbers), so no ranking is read twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from agent.domain.evidence import PerformerRow, StageTopRow
from agent.domain.ids import bare_id
from agent.domain.run_inputs import PoolItemSeen
from agent.layers.models import Recommendation, TopPerformer
from agent.loops.ports import LayersApi
from agent.rules.ads import AdSpend
from agent.rules.optimization import HookSource, pick_hook_source
from agent.rules.publish import RANKING_METRIC, PostPerformance
from agent.rules.recommendations import RecommendationInput, RecommendationView

ADS_METRICS = ("spend", "impressions", "conversions", "cpa", "roas")
POSTS_PUBLISHED = "posts_published"
POOL_PAGE = 200  # ads-content's largest page: a pool of up to 200 rows costs one read
EXCLUDE = "exclude"


def pool(client: LayersApi, project_id: str) -> tuple[PoolItemSeen, ...]:
    """The whole ads-content pool: eligibility and score for the pool check and the health snapshot, and
    the overrides a human set to `exclude` ("legal flagged the music")."""
    return tuple(
        PoolItemSeen(
            ads_content_id=row.ads_content_id,
            post_id=row.platform_post_id,
            eligible=row.eligibility is not None and row.eligibility.is_eligible,
            organic_score=row.organic_score,
            excluded=row.override == EXCLUDE,
        )
        for row in client.iter_ads_content(project_id, limit=POOL_PAGE)
    )


def excluded_post_ids(items: Iterable[PoolItemSeen]) -> set[str]:
    """The posts excluded through their ads-content override, ids bare."""
    return {bare for item in items if item.excluded and (bare := bare_id(item.post_id)) is not None}


def eligible_count(items: Iterable[PoolItemSeen]) -> int:
    return sum(1 for item in items if item.eligible)


def organic_scores(items: Iterable[PoolItemSeen]) -> list[float]:
    return [item.organic_score for item in items if item.organic_score is not None]


def ranking(
    client: LayersApi, project_id: str, *, window: str, limit: int, excluded: set[str]
) -> tuple[PostPerformance, ...]:
    """Top performers by engagement with the organic-score gate off (`includeIneligible`), so the median
    sees every post."""
    rows = client.top_performers(
        project_id, metric=RANKING_METRIC, window=window, limit=limit, include_ineligible=True
    ).items
    return tuple(post_performance(row, excluded) for row in rows)


def post_performance(row: TopPerformer, excluded: set[str]) -> PostPerformance:
    organic, paid = row.organic, row.paid
    views = organic.views if organic is not None else None
    return PostPerformance(
        platform_post_id=row.platform_post_id,
        title=row.title,
        views=int(views) if views is not None else None,
        engagement_rate=organic.engagement_rate if organic is not None else None,
        metric_value=row.metric_value,
        rank=row.rank,
        excluded=row.platform_post_id is not None and bare_id(row.platform_post_id) in excluded,
        conversions=paid.conversions if paid is not None else None,
        roas=paid.roas if paid is not None else None,
    )


def metric_value(post: PostPerformance, metric: str) -> float | None:
    """A ranked post's number for a stage metric (engagement is what the ranking was read by)."""
    return {RANKING_METRIC: post.metric_value, "conversions": post.conversions, "roas": post.roas}.get(metric)


def ranked_by(posts: Sequence[PostPerformance], metric: str) -> list[tuple[PostPerformance, float]]:
    """The posts with a value for `metric`, best first; ties keep Layers' order (as the ranker leaves
    rows without the metric out)."""
    valued = [(post, value) for post in posts if (value := metric_value(post, metric)) is not None]
    return sorted(valued, key=lambda pair: -pair[1])


def stage_top(posts: Sequence[PostPerformance], metric: str, n: int) -> tuple[StageTopRow, ...]:
    """The summary's top `n` by the customer's stage metric, from the ranking already read (only shown)."""
    return tuple(
        StageTopRow(post.platform_post_id, post.title, metric, value)
        for post, value in ranked_by(posts, metric)[:n]
    )


def hook_source(posts: Sequence[PostPerformance], metric: str) -> HookSource | None:
    """The best recent performer by the first metric that has a titled row (stage metric, then engagement).

    A post excluded by override is never a hook source, as it is never a clone source.
    """
    for each in dict.fromkeys((metric, RANKING_METRIC)):
        found = pick_hook_source(
            [
                HookSource(post.platform_post_id, post.title, value)
                for post, value in ranked_by(posts, each)
                if not post.excluded
            ]
        )
        if found is not None:
            return found
    return None


def ad_spend(client: LayersApi, project_id: str, window: tuple[datetime, datetime]) -> tuple[AdSpend, ...]:
    """ads-metrics grouped by ad (the shape Layers' docs infer, see README) as plain rows for the rules."""
    response = client.ads_metrics(
        project_id, since=window[0], until=window[1], group_by="ad", metrics=list(ADS_METRICS)
    )
    return tuple(
        AdSpend(
            ad_id=row.ad_id,
            ads_content_id=row.ads_content_id,
            spend=float(row.spend or 0.0),
            impressions=row.impressions,
            conversions=float(row.conversions or 0.0),
            cpa=row.cpa,
            roas=row.roas,
        )
        for row in response.series
        if row.ad_id
    )


def open_recommendations(client: LayersApi, project_id: str) -> tuple[RecommendationInput, ...]:
    return tuple(_recommendation(rec) for rec in client.iter_recommendations(project_id, status=["open"]))


def posts_published(client: LayersApi, project_id: str, *, now: datetime, days: int) -> int | None:
    """Layers' own count of posts published in the last `days` (None when it does not say)."""
    value = client.metrics(
        project_id,
        scope="project",
        id=project_id,
        metrics=[POSTS_PUBLISHED],
        since=now - timedelta(days=days),
        until=now,
    ).totals.get(POSTS_PUBLISHED)
    return int(value) if value is not None else None


def conversion_performers(
    client: LayersApi, project_id: str, *, window: str, limit: int
) -> list[PerformerRow]:
    rows = client.top_performers(project_id, metric="conversions", window=window, limit=limit).items
    return [PerformerRow(row.platform_post_id, row.title, row.metric_value) for row in rows]


def _recommendation(rec: Recommendation) -> RecommendationInput:
    action = rec.suggested_action
    body = action.body if action is not None and isinstance(action.body, dict) else None
    subject = rec.subject
    source = (body or {}).get("sourcePlatformPostId")
    if source is None and subject is not None and subject.type == "platform_post":
        source = subject.id
    return RecommendationInput(
        view=RecommendationView(
            recommendation_id=rec.recommendation_id,
            kind=rec.kind,
            confidence=float(rec.confidence),
            subject_type=subject.type if subject else "",
            subject_id=subject.id if subject else "",
            suggested_endpoint=action.endpoint if action is not None else None,
            suggested_method=action.method if action is not None else None,
        ),
        source_post_id=source if isinstance(source, str) else None,
        suggested_body=body,
        label=subject.label if subject else None,
        rationale=rec.rationale,
        evidence=dict(rec.evidence) or None,
    )
