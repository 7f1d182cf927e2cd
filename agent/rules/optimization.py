"""Optimization loop: what to surface, when to top up the creative pool, what to do with recommendations.

Layers' optimizer makes the paid-media calls; the guides (CONTRACT.md §19-21, §27) say an agent must not
countermand it without customer consent. So these rules only surface, commission fresh creative, or act
on recommendations that stay inside our own clone path; anything else is refused or waits for approval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.rules.thresholds import Thresholds

ACTION_FLAG = "flag"
ACTION_NONE = "none"
ACTION_SKIP = "skip"
ACTION_COMMISSION = "commission"
ACTION_ACT = "act"
ACTION_SURFACE = "surface"
ACTION_REFUSE = "refuse"
ACTION_PENDING_APPROVAL = "pending_approval"
ACTION_PROCEED = "proceed"

REASON_SPEND_WITHOUT_CONVERSIONS = "spend_without_conversions"

REASON_POOL_HEALTHY = "pool_healthy"
REASON_COMMISSION_COOLDOWN = "commission_cooldown"
REASON_NO_HOOK_SOURCE = "no_hook_source"
REASON_THIN_CREATIVE_POOL = "thin_creative_pool"

REASON_UNSAFE_SUGGESTED_ACTION = "unsafe_suggested_action"
REASON_UNKNOWN_KIND = "unknown_kind"
REASON_REFRESH_FATIGUED = "refresh_fatigued"
REASON_CHANGES_BRAND_CONFIGURATION = "changes_brand_configuration"
REASON_AUTO_APPROVED_BY_POLICY = "auto_approved_by_policy"
REASON_MODERATE_CONFIDENCE = "moderate_confidence"
REASON_LOW_CONFIDENCE = "low_confidence"

REASON_NO_PAID_DATA = "no_paid_data"
REASON_NO_CONVERSIONS = "no_conversions"
REASON_ROAS_BELOW_BREAKEVEN = "roas_below_breakeven"
REASON_ADS_METRICS_DISAGREE = "ads_metrics_disagree"

KIND_REFRESH_FATIGUED = "refresh_fatigued"
KIND_VALUE_PROPOSITIONS = "value_propositions"
KNOWN_KINDS = frozenset({KIND_REFRESH_FATIGUED, KIND_VALUE_PROPOSITIONS})

# Below 1.0 the fatigued creative loses money, so refreshing it cannot make things worse.
BREAKEVEN_ROAS = 1.0

API_PREFIX = "/v1/"
HTTP_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
# Encoded dot, slash, backslash and percent (double encoding) could smuggle traversal past the checks below.
_ENCODED_SEPARATORS = ("%2e", "%2f", "%5c", "%25")


@dataclass(frozen=True)
class AdSpend:
    """One ad's row from /ads-metrics grouped by ad, over the review window."""

    ad_id: str
    ads_content_id: str | None
    spend: float
    impressions: int | None
    conversions: float
    cpa: float | None
    roas: float | None


@dataclass(frozen=True)
class Flag:
    action: str
    reason: str
    ad_id: str
    ads_content_id: str | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class HookSource:
    """A recent top performer whose title can seed a new brief."""

    platform_post_id: str | None
    title: str | None
    metric_value: float | None


@dataclass(frozen=True)
class PoolDecision:
    action: str
    reason: str
    hook: str | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class RecommendationView:
    """The fields of a /recommendations item the rules read (``rationale`` is for humans and never parsed)."""

    recommendation_id: str
    kind: str
    confidence: float
    subject_type: str
    subject_id: str
    suggested_endpoint: str | None
    suggested_method: str | None


@dataclass(frozen=True)
class Triage:
    action: str
    reason: str
    recommendation_id: str
    kind: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class CrossCheck:
    action: str
    reason: str
    evidence: dict[str, Any]


def window_evidence(window: tuple[datetime, datetime]) -> dict[str, str]:
    """The window as ISO strings; a reversed window is a caller bug, not an empty result."""
    since, until = window
    if until < since:
        raise ValueError(f"window ends ({until.isoformat()}) before it starts ({since.isoformat()})")
    return {"window_since": since.isoformat(), "window_until": until.isoformat()}


def spend_weighted_roas(ads: Iterable[AdSpend]) -> float | None:
    """Total revenue over total spend, from ads that report a ROAS (None when none do).

    ROAS is revenue/spend, so weighting each ad's ROAS by its spend is exactly pooled revenue/pooled spend;
    a plain mean would let a $1 ad outvote a $1000 one.
    """
    reported = [ad for ad in ads if ad.roas is not None and ad.spend > 0]
    spend = math.fsum(ad.spend for ad in reported)
    if not spend:
        return None
    return math.fsum(ad.roas * ad.spend for ad in reported) / spend


def flag_spend_without_conversions(
    ads: Sequence[AdSpend], thresholds: Thresholds, window: tuple[datetime, datetime]
) -> list[Flag]:
    """Ads that spent more than the threshold with zero conversions: surfaced, never paused by us.

    Layers' optimizer decides pauses; this is the playbook's "likely pauses are coming" warning.
    Biggest spend first.
    """
    bounds = window_evidence(window)
    worrying = [
        ad for ad in ads if ad.spend > thresholds.spend_without_conversions_min and ad.conversions == 0
    ]
    return [
        Flag(
            action=ACTION_FLAG,
            reason=REASON_SPEND_WITHOUT_CONVERSIONS,
            ad_id=ad.ad_id,
            ads_content_id=ad.ads_content_id,
            evidence={
                "spend": ad.spend,
                "impressions": ad.impressions,
                "conversions": ad.conversions,
                **bounds,
                "threshold": thresholds.spend_without_conversions_min,
            },
        )
        for ad in sorted(worrying, key=lambda ad: (-ad.spend, ad.ad_id))
    ]


def pick_hook_source(performers: Sequence[HookSource]) -> HookSource | None:
    """The best performer with a usable title (ties and missing metrics keep Layers' ranking order)."""
    titled = [row for row in performers if row.title and row.title.strip()]
    if not titled:
        return None
    return max(titled, key=lambda row: (row.metric_value is not None, row.metric_value or 0.0))


def pool_action(
    eligible_count: int,
    last_commission_at: datetime | None,
    now: datetime,
    best_performer: HookSource | None,
    thresholds: Thresholds,
) -> PoolDecision:
    """Commission one new piece seeded by the best hook when the eligible creative pool runs thin.

    The cooldown is half-open: a commission exactly ``commission_cooldown_days`` ago no longer blocks, so a
    daily run at the same local time a week later may commission again instead of slipping to day 8.
    """
    evidence = {
        "eligible_count": eligible_count,
        "min_eligible_pool": thresholds.min_eligible_pool,
        "hook_source_post_id": best_performer.platform_post_id if best_performer else None,
        "last_commission_at": last_commission_at.isoformat() if last_commission_at else None,
        "commission_cooldown_days": thresholds.commission_cooldown_days,
    }
    hook = (best_performer.title or "").strip() if best_performer else ""
    if eligible_count >= thresholds.min_eligible_pool:
        return PoolDecision(ACTION_NONE, REASON_POOL_HEALTHY, None, evidence)
    cooldown = timedelta(days=thresholds.commission_cooldown_days)
    if last_commission_at is not None and now - last_commission_at < cooldown:
        return PoolDecision(ACTION_SKIP, REASON_COMMISSION_COOLDOWN, None, evidence)
    if not hook:
        return PoolDecision(ACTION_SKIP, REASON_NO_HOOK_SOURCE, None, evidence)
    return PoolDecision(ACTION_COMMISSION, REASON_THIN_CREATIVE_POOL, hook, evidence)


def dedupe_recommendations(recs: Iterable[RecommendationView]) -> list[RecommendationView]:
    """One recommendation per (kind, subject id), the most confident (first seen on ties), in first-seen order."""
    best: dict[tuple[str, str], RecommendationView] = {}
    for rec in recs:
        key = (rec.kind, rec.subject_id)
        if key not in best or rec.confidence > best[key].confidence:
            best[key] = rec
    return list(best.values())


def is_safe_relative_api_path(path: str) -> bool:
    """True for a plain relative ``/v1/...`` path that cannot leave the API host or climb out of ``/v1``.

    Recommendations carry a ``suggestedAction.endpoint`` we would prepend our base URL to; anything that is
    not obviously a path on that host is refused. Only printable ASCII without spaces is allowed, which also
    rules out control characters and look-alike Unicode.
    """
    if not isinstance(path, str) or not path.startswith(API_PREFIX):
        return False
    if any(not "!" <= char <= "~" for char in path):
        return False
    if "\\" in path or "//" in path:
        return False
    lowered = path.lower()
    if any(encoded in lowered for encoded in _ENCODED_SEPARATORS):
        return False
    return not any(segment in (".", "..") for segment in path.split("/"))


def triage_recommendation(
    rec: RecommendationView, thresholds: Thresholds, auto_approve_kinds: frozenset[str] = frozenset()
) -> Triage:
    """Act, surface, hold for approval, or refuse one recommendation.

    Order: an unsafe suggested action is refused whatever the kind (it must never reach the client); an
    unknown kind is only surfaced (its semantics are unknown); ``value_propositions`` rewrites the brand
    setup, so it waits for the customer unless policy auto-approves the kind; ``refresh_fatigued`` acts at
    the act threshold and is otherwise surfaced with its confidence band.
    """
    evidence = {
        "confidence": rec.confidence,
        "act_confidence": thresholds.recommendation_act_confidence,
        "surface_confidence": thresholds.recommendation_surface_confidence,
        "subject_type": rec.subject_type,
        "subject_id": rec.subject_id,
        "suggested_endpoint": rec.suggested_endpoint,
        "suggested_method": rec.suggested_method,
    }

    def triage(action: str, reason: str) -> Triage:
        return Triage(action, reason, rec.recommendation_id, rec.kind, evidence)

    if rec.suggested_endpoint is not None and (
        not is_safe_relative_api_path(rec.suggested_endpoint)
        or (rec.suggested_method or "").upper() not in HTTP_METHODS
    ):
        return triage(ACTION_REFUSE, REASON_UNSAFE_SUGGESTED_ACTION)
    if rec.kind not in KNOWN_KINDS:
        return triage(ACTION_SURFACE, REASON_UNKNOWN_KIND)
    if rec.kind == KIND_VALUE_PROPOSITIONS:
        if rec.kind in auto_approve_kinds:
            return triage(ACTION_ACT, REASON_AUTO_APPROVED_BY_POLICY)
        return triage(ACTION_PENDING_APPROVAL, REASON_CHANGES_BRAND_CONFIGURATION)
    if rec.confidence >= thresholds.recommendation_act_confidence:
        return triage(ACTION_ACT, REASON_REFRESH_FATIGUED)
    if rec.confidence >= thresholds.recommendation_surface_confidence:
        return triage(ACTION_SURFACE, REASON_MODERATE_CONFIDENCE)
    return triage(ACTION_SURFACE, REASON_LOW_CONFIDENCE)


def cross_check_refresh(ad_rows_for_subject: Sequence[AdSpend]) -> CrossCheck:
    """Is a refresh clone still justified by live ads metrics? (Recommendation evidence lags by hours.)

    A clone only adds a creative, so we proceed unless live metrics contradict the fatigue call: proceed
    with no paid data, with zero conversions, or with ROAS below break-even; skip when the subject is
    converting at or above break-even (or converting with no ROAS reported to show otherwise).
    """
    conversions = math.fsum(ad.conversions for ad in ad_rows_for_subject)
    roas = spend_weighted_roas(ad_rows_for_subject)
    evidence = {
        "ads": len(ad_rows_for_subject),
        "spend": math.fsum(ad.spend for ad in ad_rows_for_subject),
        "conversions": conversions,
        "roas": roas,
        "breakeven_roas": BREAKEVEN_ROAS,
    }
    if not ad_rows_for_subject:
        return CrossCheck(ACTION_PROCEED, REASON_NO_PAID_DATA, evidence)
    if conversions == 0:
        return CrossCheck(ACTION_PROCEED, REASON_NO_CONVERSIONS, evidence)
    if roas is not None and roas < BREAKEVEN_ROAS:
        return CrossCheck(ACTION_PROCEED, REASON_ROAS_BELOW_BREAKEVEN, evidence)
    return CrossCheck(ACTION_SKIP, REASON_ADS_METRICS_DISAGREE, evidence)
