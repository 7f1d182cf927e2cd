"""Weekly review: close the loop on which creatives drove conversions, not just views.

The playbook's weekly step (CONTRACT.md §27): read /ads-metrics per ad and /top-performers by conversions,
and feed what converted into next week's briefs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.domain.decisions import Decided, Subject
from agent.domain.evidence import CreativeWeek, PerformerRow, WeeklyReview
from agent.domain.vocabulary import Action, Reason, SubjectType
from agent.rules.ads import AdSpend, spend_weighted_roas, window_bounds

CREATIVE_ADS_CONTENT = "ads_content"
# An ad Layers has not tied to an ads-content row stands for itself.
CREATIVE_AD = "ad"
# creative_type and creative_id of the all-ads totals row.
CREATIVE_TOTAL = "total"
TOP_PERFORMERS_IN_REVIEW = 3


def settled_window(now: datetime, *, days: int, settle_hours: float) -> tuple[datetime, datetime]:
    """The `days` ending `settle_hours` ago: conversions arrive late, so a fresher window undercounts them."""
    until = now - timedelta(hours=settle_hours)
    return until - timedelta(days=days), until


def weekly_review(
    ads: Sequence[AdSpend],
    conversion_performers: Sequence[PerformerRow],
    window: tuple[datetime, datetime],
    *,
    top_n: int = TOP_PERFORMERS_IN_REVIEW,
    settle_hours: float | None = None,
) -> WeeklyReview:
    """Per-creative spend, conversions, CPA and ROAS; the creatives that converted; the top converting posts.

    Ads are grouped by ``ads_content_id`` (several ads can run one creative), falling back to the ad itself.
    """
    since, until = window_bounds(window)  # rejects a reversed window before any work
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
        key=lambda row: -(row.metric_value or 0.0),
    )
    return WeeklyReview(
        window_since=since,
        window_until=until,
        totals=_summarise(CREATIVE_TOTAL, CREATIVE_TOTAL, ads),
        creatives=creatives,
        drivers=drivers,
        top_performers=tuple(performers[:top_n]),
        settle_delay_hours=settle_hours,
    )


@dataclass(frozen=True)
class ReviewInputs:
    project_id: str
    ads: tuple[AdSpend, ...]
    conversion_performers: tuple[PerformerRow, ...]
    window: tuple[datetime, datetime]
    settle_hours: float | None = None  # how long before the review the window ended


def decide_review(inputs: ReviewInputs) -> Decided:
    """The review's one decision: a summary, the input to next week's briefs."""
    return Decided(
        action=Action.SUMMARY,
        reason=Reason.WEEKLY_REVIEW,
        subject=Subject(SubjectType.CUSTOMER, inputs.project_id),
        evidence=weekly_review(
            inputs.ads, inputs.conversion_performers, inputs.window, settle_hours=inputs.settle_hours
        ),
        key="summary",
    )


def _summarise(creative_type: str, creative_id: str, rows: Sequence[AdSpend]) -> CreativeWeek:
    spend = math.fsum(ad.spend for ad in rows)
    conversions = math.fsum(ad.conversions for ad in rows)
    impressions = [ad.impressions for ad in rows if ad.impressions is not None]
    return CreativeWeek(
        creative_type=creative_type,
        creative_id=creative_id,
        ad_ids=tuple(ad.ad_id for ad in rows),
        spend=spend,
        impressions=sum(impressions) if impressions else None,
        conversions=conversions,
        cpa=spend / conversions if conversions else None,
        roas=spend_weighted_roas(rows),
    )
