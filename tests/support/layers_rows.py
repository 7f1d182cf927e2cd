"""Layers response rows for the fakes, built through the client's own models (camelCase on the wire)."""

from __future__ import annotations

from typing import Any

from agent.layers.models import AdsContentItem, Recommendation, TopPerformer


def top_performer(
    post_id: str | None,
    views: float | None,
    engagement: float | None,
    *,
    rank: int = 1,
    title: str | None = None,
) -> TopPerformer:
    organic = None if views is None else {"views": views, "engagementRate": engagement}
    return TopPerformer.model_validate(
        {
            "rank": rank,
            "platformPostId": post_id,
            "title": title,
            "metricValue": engagement,
            "organic": organic,
        }
    )


def ranking(*rows: tuple[str, float, float], titles: dict[str, str] | None = None) -> list[TopPerformer]:
    """(post id, views, engagement) rows, ranked in the order given."""
    return [
        top_performer(post_id, views, engagement, rank=i + 1, title=(titles or {}).get(post_id))
        for i, (post_id, views, engagement) in enumerate(rows)
    ]


def ads_content(
    ads_content_id: str,
    *,
    eligible: bool = True,
    override: str | None = None,
    post_id: str | None = None,
    score: float = 0.6,
) -> AdsContentItem:
    return AdsContentItem.model_validate(
        {
            "adsContentId": ads_content_id,
            "platformPostId": post_id,
            "organicScore": score,
            "eligibility": {"isEligible": eligible},
            "override": override,
        }
    )


def ad_row(
    ad_id: str, *, spend: float, conversions: float = 0, roas: float | None = None, content: str | None = None
) -> dict[str, Any]:
    return {
        "adId": ad_id,
        "adsContentId": content,
        "spend": spend,
        "impressions": 1000,
        "conversions": conversions,
        "roas": roas,
    }


def recommendation(
    rec_id: str,
    kind: str,
    confidence: float,
    *,
    subject: tuple[str, str] = ("ads_content", "adc_1"),
    method: str | None = None,
    endpoint: str | None = None,
    body: dict[str, Any] | None = None,
) -> Recommendation:
    action = None if endpoint is None else {"endpoint": endpoint, "method": method, "body": body}
    return Recommendation.model_validate(
        {
            "recommendationId": rec_id,
            "kind": kind,
            "status": "open",
            "confidence": confidence,
            "subject": {"type": subject[0], "id": subject[1]},
            "suggestedAction": action,
        }
    )
