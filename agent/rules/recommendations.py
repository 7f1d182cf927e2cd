"""Layers' recommendations: act, surface, hold for consent, or refuse, and what acting on one does.

The agent acts on its own only inside its own clone path (a `refresh_fatigued` recommendation becomes a
clone, after a live cross-check); anything that changes the customer's setup becomes a proposal that
executes once consent is recorded; anything it cannot send safely is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agent.domain.decisions import CloneRequest, ConsentRequest, Decided, Effect, Subject
from agent.domain.evidence import CrossCheck, Triage
from agent.domain.ids import same_id
from agent.domain.vocabulary import Action, CloneOrigin, Reason, RecommendationStatus, SubjectType
from agent.rules.actions import UnsafeSuggestedAction, validate_suggested_action
from agent.rules.ads import AdSpend, spend_weighted_roas
from agent.rules.policy import Policy, restrain
from agent.rules.thresholds import Thresholds
from agent.rules.work import cap_reached

KIND_REFRESH_FATIGUED = "refresh_fatigued"
KIND_VALUE_PROPOSITIONS = "value_propositions"
KNOWN_KINDS = frozenset({KIND_REFRESH_FATIGUED, KIND_VALUE_PROPOSITIONS})
# Shown beside the subject's ROAS; since issue 15 it is context, never a veto.
BREAKEVEN_ROAS = 1.0
# Impressions "hold" when this window keeps at least this share of the previous window's.
IMPRESSIONS_HOLD = 0.8
# How a recommendation stands once its decision is recorded.
_STATUS_AFTER = {
    Action.SURFACE: RecommendationStatus.SURFACED,
    Action.REFUSE: RecommendationStatus.DISMISSED,
    Action.PENDING_APPROVAL: RecommendationStatus.PENDING_APPROVAL,
}


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
class RecommendationInput:
    view: RecommendationView
    source_post_id: str | None
    suggested_body: dict[str, Any] | None
    label: str | None
    # the ops experience (issue 13): kept for the people who approve a proposal, never read by a rule
    rationale: str | None = None
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True)
class Triaged:
    action: Action
    reason: Reason
    evidence: Triage


@dataclass(frozen=True)
class RecommendationOutcome:
    """One recommendation's decision and the local status it leaves the recommendation in."""

    item: RecommendationInput
    decided: Decided
    status: RecommendationStatus


def dedupe_recommendations(recs: Iterable[RecommendationView]) -> list[RecommendationView]:
    """One recommendation per (kind, subject id), the most confident (first seen on ties), in first-seen order."""
    best: dict[tuple[str, str], RecommendationView] = {}
    for rec in recs:
        key = (rec.kind, rec.subject_id)
        if key not in best or rec.confidence > best[key].confidence:
            best[key] = rec
    return list(best.values())


def triage_recommendation(
    rec: RecommendationView, thresholds: Thresholds, auto_approve_kinds: frozenset[str] = frozenset()
) -> Triaged:
    """Act, surface, hold for approval, or refuse one recommendation.

    Order: an unsafe suggested action is refused whatever the kind (it must never reach the client); an
    unknown kind is only surfaced (its semantics are unknown); ``value_propositions`` rewrites the brand
    setup, so it waits for the customer unless policy auto-approves the kind; ``refresh_fatigued`` acts at
    the act threshold and is otherwise surfaced with its confidence band.
    """
    evidence = Triage(
        confidence=rec.confidence,
        act_confidence=thresholds.recommendation_act_confidence,
        surface_confidence=thresholds.recommendation_surface_confidence,
        subject_type=rec.subject_type,
        subject_id=rec.subject_id,
        suggested_endpoint=rec.suggested_endpoint,
        suggested_method=rec.suggested_method,
        recommendation_id=rec.recommendation_id,
    )
    if rec.suggested_endpoint is not None:
        try:
            validate_suggested_action(rec.suggested_method, rec.suggested_endpoint)
        except UnsafeSuggestedAction as exc:
            refused = replace(evidence, refusal=exc.reason)
            return Triaged(Action.REFUSE, Reason.UNSAFE_SUGGESTED_ACTION, refused)
    if rec.kind not in KNOWN_KINDS:
        return Triaged(Action.SURFACE, Reason.UNKNOWN_KIND, evidence)
    if rec.kind == KIND_VALUE_PROPOSITIONS:
        if rec.kind in auto_approve_kinds:
            return Triaged(Action.ACT, Reason.AUTO_APPROVED_BY_POLICY, evidence)
        return Triaged(Action.PENDING_APPROVAL, Reason.CHANGES_BRAND_CONFIGURATION, evidence)
    if rec.confidence >= thresholds.recommendation_act_confidence:
        return Triaged(Action.ACT, Reason.REFRESH_FATIGUED, evidence)
    if rec.confidence >= thresholds.recommendation_surface_confidence:
        return Triaged(Action.SURFACE, Reason.MODERATE_CONFIDENCE, evidence)
    return Triaged(Action.SURFACE, Reason.LOW_CONFIDENCE, evidence)


def wants_fatigue_check(items: Sequence[RecommendationInput], thresholds: Thresholds) -> bool:
    """Whether a confident refresh is open, so that the window before the live one is worth a read."""
    return any(
        item.view.kind == KIND_REFRESH_FATIGUED
        and item.view.confidence >= thresholds.recommendation_act_confidence
        for item in items
    )


def cross_check_refresh(current: Sequence[AdSpend], previous: Sequence[AdSpend] = ()) -> CrossCheck:
    """Is a refresh still justified by live ads metrics? (Recommendation evidence lags by hours.)

    The recommendations reference calls a creative fatigued when its CPA rises while its impressions hold,
    and recommends a refresh even while "top-line ROAS is still positive". A refresh adds creative; it pauses
    and spends nothing. So a healthy ROAS is never a veto: the refresh goes ahead when the subject has no paid
    data at all, and when its ads are still running (the fatigue signal, this window against the previous
    one, is recorded and named when confirmed). It is skipped only when the subject's ads no longer run.
    """
    now, before = _totals(current), _totals(previous)
    cpa_rising = before.cpa is not None and (now.cpa is None or now.cpa > before.cpa) and now.spend > 0
    holding = now.impressions >= IMPRESSIONS_HOLD * before.impressions if before.impressions else None

    def check(action: Action, reason: Reason) -> CrossCheck:
        return CrossCheck(
            action=action,
            reason=reason,
            ads=len(current),
            spend=now.spend,
            conversions=now.conversions,
            roas=spend_weighted_roas(current),
            breakeven_roas=BREAKEVEN_ROAS,
            impressions=now.impressions,
            cpa=now.cpa,
            previous_ads=len(previous),
            previous_impressions=before.impressions if previous else None,
            previous_cpa=before.cpa,
            cpa_rising=cpa_rising if previous else None,
            impressions_hold=holding,
        )

    if not current and not previous:
        return check(Action.PROCEED, Reason.NO_PAID_DATA)
    if not any(ad.spend > 0 or (ad.impressions or 0) > 0 for ad in current):
        return check(Action.SKIP, Reason.ADS_NOT_RUNNING)
    if cpa_rising and holding:
        return check(Action.PROCEED, Reason.FATIGUE_CONFIRMED)
    return check(Action.PROCEED, Reason.ADS_RUNNING)


@dataclass(frozen=True)
class _Totals:
    spend: float
    conversions: float
    impressions: float

    @property
    def cpa(self) -> float | None:
        return self.spend / self.conversions if self.conversions else None


def _totals(ads: Sequence[AdSpend]) -> _Totals:
    return _Totals(
        spend=math.fsum(ad.spend for ad in ads),
        conversions=math.fsum(ad.conversions for ad in ads),
        impressions=math.fsum(ad.impressions or 0.0 for ad in ads),
    )


def resolve(
    item: RecommendationInput,
    triaged: Triaged,
    ads: Sequence[AdSpend],
    policy: Policy,
    previous: Sequence[AdSpend] = (),
) -> RecommendationOutcome:
    """Turn a triage into what the agent does: a clone for a refresh, a proposal for a setup change.

    A refresh is cross-checked against live ads metrics of its subject, needs a source post, and is
    restrained like any clone; its recommendation stays open under the kill switch (it is handled again
    once the switch is off) and counts as surfaced in shadow mode.
    """
    view = item.view
    action, reason, evidence = triaged.action, triaged.reason, triaged.evidence
    status = _STATUS_AFTER.get(action, RecommendationStatus.ACTED_ON)
    effect: Effect | None = None
    if action is Action.ACT and view.kind == KIND_REFRESH_FATIGUED:
        check = cross_check_refresh(
            [ad for ad in ads if same_id(ad.ads_content_id, view.subject_id)],
            [ad for ad in previous if same_id(ad.ads_content_id, view.subject_id)],
        )
        evidence = replace(evidence, cross_check=check)
        if check.action is Action.SKIP:
            action, reason, status = Action.SKIP, check.reason, RecommendationStatus.SURFACED
        elif item.source_post_id is None:
            action, reason, status = Action.SKIP, Reason.NO_SOURCE_POST, RecommendationStatus.SURFACED
        else:
            evidence = replace(evidence, source_post_id=item.source_post_id)
            effect = CloneRequest(item.source_post_id, CloneOrigin.RECOMMENDATION)
    needs_consent = action is Action.PENDING_APPROVAL or (action is Action.ACT and effect is None)
    if needs_consent and view.suggested_endpoint and view.suggested_method:
        effect = ConsentRequest(
            kind=view.kind,
            method=view.suggested_method.upper(),
            path=view.suggested_endpoint,
            body=item.suggested_body,
            auto_approved=action is Action.ACT,
        )
    decided = Decided(
        action=action,
        reason=reason,
        subject=Subject(SubjectType.RECOMMENDATION, view.subject_id),
        evidence=evidence,
        key=f"rec:{view.kind}:{view.subject_id}",
        effect=effect,
    )
    restrained = restrain(decided, policy.restraint)
    if restrained is not decided:
        held = restrained.action is Action.SKIP
        status = RecommendationStatus.OPEN if held else RecommendationStatus.SURFACED
    return RecommendationOutcome(item=item, decided=restrained, status=status)


def decide_recommendations(
    items: Sequence[RecommendationInput],
    tracked: Mapping[tuple[str, str], RecommendationStatus],
    ads: Sequence[AdSpend],
    policy: Policy,
    previous: Sequence[AdSpend] = (),
) -> list[RecommendationOutcome]:
    """One outcome per (kind, subject) still open: one handled on an earlier day is never acted on twice."""
    by_id = {item.view.recommendation_id: item for item in items}
    outcomes = []
    for view in dedupe_recommendations(item.view for item in items):
        if (
            tracked.get((view.kind, view.subject_id), RecommendationStatus.OPEN)
            is not RecommendationStatus.OPEN
        ):
            continue
        triaged = triage_recommendation(view, policy.thresholds, policy.auto_approve_kinds)
        outcomes.append(resolve(by_id[view.recommendation_id], triaged, ads, policy, previous))
    return outcomes


def when_cap_reached(outcome: RecommendationOutcome) -> RecommendationOutcome:
    """The refresh's source has no clone slot left: the recommendation is surfaced instead."""
    return replace(outcome, decided=cap_reached(outcome.decided), status=RecommendationStatus.SURFACED)
