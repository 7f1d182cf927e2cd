"""Ad rows for the rules' tests."""

from __future__ import annotations

from agent.rules.ads import AdSpend


def ad(
    ad_id: str = "ad_1",
    spend: float = 0.0,
    conversions: float = 0.0,
    *,
    content: str | None = None,
    roas: float | None = None,
    impressions: float | None = 1000,
) -> AdSpend:
    cpa = spend / conversions if conversions else None
    return AdSpend(ad_id, content, spend, impressions, conversions, cpa, roas)
