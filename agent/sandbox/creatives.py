"""What top-performers and ads-content share: the one eligibility gate and a creative's paid numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.sandbox.scenario_schema import PaidMetrics
from agent.sandbox.series import PaidTotals, ad_days
from agent.sandbox.state import SandboxState

SCORE_THRESHOLD = 4.0
PAID_BLOCK_KEYS = ("spend", "conversions", "cpa", "roas")


def eligibility(score: float | None, override: str | None, safety_failed: bool = False) -> tuple[bool, str]:
    """Whether a creative may be cloned or promoted, and why (§17, §18)."""
    if override == "exclude":
        return False, "excluded by override"
    if override == "include":
        return True, "included by override"
    if safety_failed:
        return False, "safety check failed"
    if score is None:
        return False, "not yet scored"
    if score >= SCORE_THRESHOLD:
        return True, f"organic_score {score:.1f} meets threshold"
    return False, f"organic_score {score:.1f} below threshold {SCORE_THRESHOLD}"


def paid_block(metrics: PaidMetrics | None) -> dict[str, Any] | None:
    """The scenario's paid numbers as the API shows them; cpa is derived when not given."""
    if metrics is None:
        return None
    spend, conversions = metrics.spend, metrics.conversions
    cpa = metrics.cpa if metrics.cpa is not None else (round(spend / conversions, 2) if conversions else None)
    return {"spend": spend, "conversions": conversions, "cpa": cpa, "roas": metrics.roas}


def paid_from_ads(
    state: SandboxState, ads_content_id: str | None, since: datetime, until: datetime
) -> dict[str, Any] | None:
    """The paid numbers of the ads running a creative over [since, until); None when none ran."""
    if ads_content_id is None:
        return None
    totals = PaidTotals()
    seen = False
    for ad in state.ads:
        if ad.ads_content_id == ads_content_id:
            for _ in ad_days(ad, since, until):
                totals.add(ad)
                seen = True
    if not seen:
        return None
    values = totals.values()
    return {key: values[key] for key in PAID_BLOCK_KEYS}
