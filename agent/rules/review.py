"""Weekly review: close the loop on which creatives drove conversions, not just views.

The playbook's weekly step (CONTRACT.md §27): read /ads-metrics per ad and /top-performers by conversions,
and feed what converted into next week's briefs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.rules.optimization import AdSpend, spend_weighted_roas, window_evidence

CREATIVE_ADS_CONTENT = "ads_content"
# An ad Layers has not tied to an ads-content row stands for itself.
CREATIVE_AD = "ad"
# creative_type and creative_id of the all-ads totals row.
CREATIVE_TOTAL = "total"
TOP_PERFORMERS_IN_REVIEW = 3


@dataclass(frozen=True)
class PerformerRow:
    """A /top-performers row ranked by ``metric=conversions``."""

    platform_post_id: str | None
    title: str | None
    metric_value: float | None


@dataclass(frozen=True)
class CreativeReview:
    """One creative's week. ``roas`` is spend-weighted over its ads (see ``spend_weighted_roas``)."""

    creative_type: str
    creative_id: str
    ad_ids: tuple[str, ...]
    spend: float
    impressions: int | None
    conversions: float
    cpa: float | None
    roas: float | None


@dataclass(frozen=True)
class ReviewSummary:
    window: tuple[datetime, datetime]
    creatives: tuple[CreativeReview, ...]
    totals: CreativeReview
    drivers: tuple[CreativeReview, ...]
    top_performers: tuple[PerformerRow, ...]

    def as_evidence(self) -> dict[str, Any]:
        """JSON-ready: ISO window, plain numbers and strings only."""
        return {
            **window_evidence(self.window),
            "totals": _creative_evidence(self.totals),
            "creatives": [_creative_evidence(creative) for creative in self.creatives],
            "drivers": [_creative_evidence(creative) for creative in self.drivers],
            "top_performers": [
                {
                    "platform_post_id": row.platform_post_id,
                    "title": row.title,
                    "metric_value": row.metric_value,
                }
                for row in self.top_performers
            ],
        }


def weekly_review(
    ads: Sequence[AdSpend],
    conversion_performers: Sequence[PerformerRow],
    window: tuple[datetime, datetime],
    *,
    top_n: int = TOP_PERFORMERS_IN_REVIEW,
) -> ReviewSummary:
    """Per-creative spend, conversions, CPA and ROAS; the creatives that converted; the top converting posts.

    Ads are grouped by ``ads_content_id`` (several ads can run one creative), falling back to the ad itself.
    """
    window_evidence(window)  # rejects a reversed window before any work
    groups: dict[tuple[str, str], list[AdSpend]] = {}
    for ad in ads:
        key = (CREATIVE_ADS_CONTENT, ad.ads_content_id) if ad.ads_content_id else (CREATIVE_AD, ad.ad_id)
        groups.setdefault(key, []).append(ad)
    creatives = tuple(_summarise(kind, creative_id, rows) for (kind, creative_id), rows in groups.items())
    drivers = tuple(
        sorted(
            (creative for creative in creatives if creative.conversions > 0),
            key=lambda creative: (-creative.conversions, creative.creative_id),
        )
    )
    performers = sorted(
        (row for row in conversion_performers if row.metric_value is not None and row.metric_value > 0),
        key=lambda row: -row.metric_value,
    )
    return ReviewSummary(
        window=window,
        creatives=creatives,
        totals=_summarise(CREATIVE_TOTAL, CREATIVE_TOTAL, ads),
        drivers=drivers,
        top_performers=tuple(performers[:top_n]),
    )


def _summarise(creative_type: str, creative_id: str, rows: Sequence[AdSpend]) -> CreativeReview:
    spend = math.fsum(ad.spend for ad in rows)
    conversions = math.fsum(ad.conversions for ad in rows)
    impressions = [ad.impressions for ad in rows if ad.impressions is not None]
    return CreativeReview(
        creative_type=creative_type,
        creative_id=creative_id,
        ad_ids=tuple(ad.ad_id for ad in rows),
        spend=spend,
        impressions=sum(impressions) if impressions else None,
        conversions=conversions,
        cpa=spend / conversions if conversions else None,
        roas=spend_weighted_roas(rows),
    )


def _creative_evidence(creative: CreativeReview) -> dict[str, Any]:
    return {
        "creative_type": creative.creative_type,
        "creative_id": creative.creative_id,
        "ad_ids": list(creative.ad_ids),
        "spend": creative.spend,
        "impressions": creative.impressions,
        "conversions": creative.conversions,
        "cpa": creative.cpa,
        "roas": creative.roas,
    }
