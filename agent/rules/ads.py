"""Paid-media numbers as the rules see them: one ad's row over a window, and the ROAS of several."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AdSpend:
    """One ad's row from /ads-metrics grouped by ad, over the review window."""

    ad_id: str
    ads_content_id: str | None
    spend: float
    impressions: float | None
    conversions: float
    cpa: float | None
    roas: float | None


def window_bounds(window: tuple[datetime, datetime]) -> tuple[str, str]:
    """The window as ISO strings; a reversed window is a caller bug, not an empty result."""
    since, until = window
    if until < since:
        raise ValueError(f"window ends ({until.isoformat()}) before it starts ({since.isoformat()})")
    return since.isoformat(), until.isoformat()


def spend_weighted_roas(ads: Iterable[AdSpend]) -> float | None:
    """Total revenue over total spend, from ads that report a ROAS (None when none do).

    ROAS is revenue/spend, so weighting each ad's ROAS by its spend is exactly pooled revenue/pooled spend;
    a plain mean would let a $1 ad outvote a $1000 one.
    """
    reported = [(ad.roas, ad.spend) for ad in ads if ad.roas is not None and ad.spend > 0]
    spend = math.fsum(spent for _, spent in reported)
    if not spend:
        return None
    return math.fsum(roas * spent for roas, spent in reported) / spend


def window_days(label: str) -> int:
    """`7d` -> 7: the length of a Layers window label (the same label names the top-performers window)."""
    if not (label.endswith("d") and label[:-1].isdigit()):
        raise ValueError(f"window {label!r} is not a number of days like 7d")
    return int(label[:-1])
