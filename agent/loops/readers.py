"""Reading Layers into the rules' plain inputs. Every loop reads through here, so no loop imports another
and one response shape is turned into rule inputs in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from agent.domain.evidence import PerformerRow
from agent.domain.ids import bare_id
from agent.layers.models import AdsContentItem, Recommendation, TopPerformer
from agent.loops.ports import LayersApi
from agent.rules.ads import AdSpend
from agent.rules.optimization import HookSource, pick_hook_source
from agent.rules.publish import RANKING_METRIC, PostPerformance
from agent.rules.recommendations import RecommendationInput, RecommendationView

ADS_METRICS = ("spend", "impressions", "conversions", "cpa", "roas")
HOOK_CANDIDATES = 10
POSTS_PUBLISHED = "posts_published"


def excluded_post_ids(client: LayersApi, project_id: str) -> set[str]:
    """Posts a human excluded through the ads-content override ("legal flagged the music"), ids bare."""
    rows = client.iter_ads_content(project_id, override="exclude")
    return {bare for row in rows if (bare := bare_id(row.platform_post_id)) is not None}


def ranking(
    client: LayersApi, project_id: str, *, metric: str, window: str, limit: int
) -> list[TopPerformer]:
    """Top performers with the organic-score gate off (`includeIneligible`), so the median sees every post."""
    return client.top_performers(
        project_id, metric=metric, window=window, limit=limit, include_ineligible=True
    ).items


def post_performance(row: TopPerformer, excluded: set[str]) -> PostPerformance:
    organic = row.organic
    views = organic.views if organic is not None else None
    return PostPerformance(
        platform_post_id=row.platform_post_id,
        title=row.title,
        views=int(views) if views is not None else None,
        engagement_rate=organic.engagement_rate if organic is not None else None,
        metric_value=row.metric_value,
        rank=row.rank,
        excluded=row.platform_post_id is not None and bare_id(row.platform_post_id) in excluded,
    )


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


def hook_source(
    client: LayersApi, project_id: str, *, metrics: Sequence[str], window: str, excluded: set[str]
) -> HookSource | None:
    """The best recent performer by the first metric that has a titled row (stage metric, then engagement).

    A post excluded by override is never a hook source, as it is never a clone source.
    """
    for metric in dict.fromkeys((*metrics, RANKING_METRIC)):
        found = pick_hook_source(
            [
                HookSource(row.platform_post_id, row.title, row.metric_value)
                for row in ranking(client, project_id, metric=metric, window=window, limit=HOOK_CANDIDATES)
                if bare_id(row.platform_post_id) not in excluded
            ]
        )
        if found is not None:
            return found
    return None


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


def pool(client: LayersApi, project_id: str) -> list[AdsContentItem]:
    return list(client.iter_ads_content(project_id))


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
    )
