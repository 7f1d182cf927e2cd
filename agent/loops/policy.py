"""Per-customer policy: the thresholds in force and whether the agent may change anything at Layers."""

from __future__ import annotations

from dataclasses import dataclass

from agent.config import Settings
from agent.rules.thresholds import Thresholds, rule_version
from agent.store.models import Customer


@dataclass(frozen=True)
class Policy:
    thresholds: Thresholds
    rule_version: str
    acting: bool  # False in shadow mode or under the kill switch: decide and record, send nothing
    restraint: str | None  # why the agent is not acting: "shadow_mode" or "kill_switch"


def thresholds_from_settings(settings: Settings) -> Thresholds:
    return Thresholds(
        min_views=settings.min_views,
        min_posts=settings.min_posts,
        breakout_multiple=settings.breakout_multiple,
        min_engagement=settings.min_engagement,
        max_clones_per_source=settings.max_clones_per_source,
        max_clones_per_run=settings.max_clones_per_run,
        spend_without_conversions_min=settings.spend_without_conversions_min,
        min_eligible_pool=settings.min_eligible_pool,
        commission_cooldown_days=settings.commission_cooldown_days,
        recommendation_act_confidence=settings.recommendation_act_confidence,
        recommendation_surface_confidence=settings.recommendation_surface_confidence,
    )


def policy_for(customer: Customer, settings: Settings) -> Policy:
    thresholds = thresholds_from_settings(settings).with_overrides(customer.threshold_overrides or {})
    if settings.kill_switch:
        restraint: str | None = "kill_switch"
    elif customer.mode == "shadow":
        restraint = "shadow_mode"
    else:
        restraint = None
    return Policy(thresholds, rule_version(thresholds), restraint is None, restraint)
