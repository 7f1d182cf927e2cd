"""Recommendation rules: one per (kind, subject), triage, the live cross-check of a refresh."""

import pytest

from agent.domain.vocabulary import Action, Reason
from agent.rules.recommendations import (
    RecommendationView,
    cross_check_refresh,
    dedupe_recommendations,
    triage_recommendation,
)
from agent.rules.thresholds import Thresholds
from tests.support.ads import ad

DEFAULT = Thresholds()
CLONE_PATH = "/v1/projects/prj_1/content/clone-from-post"
ACTION_ACT, ACTION_COMMISSION, ACTION_FLAG, ACTION_NONE = (
    Action.ACT,
    Action.COMMISSION,
    Action.FLAG,
    Action.NONE,
)
ACTION_PENDING_APPROVAL, ACTION_PROCEED, ACTION_REFUSE = (
    Action.PENDING_APPROVAL,
    Action.PROCEED,
    Action.REFUSE,
)
ACTION_SKIP, ACTION_SURFACE = Action.SKIP, Action.SURFACE
REASON_ADS_METRICS_DISAGREE = Reason.ADS_METRICS_DISAGREE
REASON_AUTO_APPROVED_BY_POLICY = Reason.AUTO_APPROVED_BY_POLICY
REASON_CHANGES_BRAND_CONFIGURATION = Reason.CHANGES_BRAND_CONFIGURATION
REASON_LOW_CONFIDENCE = Reason.LOW_CONFIDENCE
REASON_MODERATE_CONFIDENCE = Reason.MODERATE_CONFIDENCE
REASON_NO_CONVERSIONS = Reason.NO_CONVERSIONS
REASON_NO_PAID_DATA = Reason.NO_PAID_DATA
REASON_REFRESH_FATIGUED = Reason.REFRESH_FATIGUED
REASON_ROAS_BELOW_BREAKEVEN = Reason.ROAS_BELOW_BREAKEVEN
REASON_UNKNOWN_KIND = Reason.UNKNOWN_KIND
REASON_UNSAFE_SUGGESTED_ACTION = Reason.UNSAFE_SUGGESTED_ACTION


# Recommendations


def rec(
    kind="refresh_fatigued",
    confidence=0.8,
    *,
    rec_id="rec_1",
    subject="adc_1",
    endpoint=CLONE_PATH,
    method="POST",
):
    return RecommendationView(rec_id, kind, confidence, "ads_content", subject, endpoint, method)


def test_dedupe_keeps_the_most_confident_per_kind_and_subject():
    recs = [
        rec(rec_id="r1", confidence=0.6),
        rec(rec_id="r2", kind="value_propositions", confidence=0.5),
        rec(rec_id="r3", confidence=0.9),
        rec(rec_id="r4", subject="adc_2", confidence=0.4),
        rec(rec_id="r5", confidence=0.9),
    ]
    assert [r.recommendation_id for r in dedupe_recommendations(recs)] == ["r3", "r2", "r4"]


ALLOW_VP = frozenset({"value_propositions"})


@pytest.mark.parametrize(
    ("recommendation", "auto_approve", "expected"),
    [
        pytest.param(
            rec(confidence=0.7), frozenset(), (ACTION_ACT, REASON_REFRESH_FATIGUED), id="refresh-at-0.7-acts"
        ),
        pytest.param(
            rec(confidence=1.0), frozenset(), (ACTION_ACT, REASON_REFRESH_FATIGUED), id="refresh-at-1.0"
        ),
        pytest.param(
            rec(confidence=0.69),
            frozenset(),
            (ACTION_SURFACE, REASON_MODERATE_CONFIDENCE),
            id="refresh-at-0.69",
        ),
        pytest.param(
            rec(confidence=0.5),
            frozenset(),
            (ACTION_SURFACE, REASON_MODERATE_CONFIDENCE),
            id="refresh-at-0.5",
        ),
        pytest.param(
            rec(confidence=0.49), frozenset(), (ACTION_SURFACE, REASON_LOW_CONFIDENCE), id="refresh-at-0.49"
        ),
        pytest.param(
            rec(confidence=0.0), frozenset(), (ACTION_SURFACE, REASON_LOW_CONFIDENCE), id="refresh-at-0"
        ),
        pytest.param(
            rec(endpoint=None, method=None),
            frozenset(),
            (ACTION_ACT, REASON_REFRESH_FATIGUED),
            id="refresh-without-suggested-action",
        ),
        pytest.param(
            rec("value_propositions", 0.95, endpoint="/v1/projects/prj_1", method="PATCH"),
            frozenset(),
            (ACTION_PENDING_APPROVAL, REASON_CHANGES_BRAND_CONFIGURATION),
            id="value-props-wait-even-when-confident",
        ),
        pytest.param(
            rec("value_propositions", 0.1, endpoint="/v1/projects/prj_1", method="PATCH"),
            frozenset(),
            (ACTION_PENDING_APPROVAL, REASON_CHANGES_BRAND_CONFIGURATION),
            id="value-props-wait-when-unsure",
        ),
        pytest.param(
            rec("value_propositions", 0.1, endpoint="/v1/projects/prj_1", method="PATCH"),
            ALLOW_VP,
            (ACTION_ACT, REASON_AUTO_APPROVED_BY_POLICY),
            id="value-props-auto-approved-by-policy",
        ),
        pytest.param(
            rec("promote_winner", 0.99), frozenset(), (ACTION_SURFACE, REASON_UNKNOWN_KIND), id="unknown-kind"
        ),
        pytest.param(
            rec("promote_winner", 0.99, endpoint="https://evil.example/x"),
            frozenset(),
            (ACTION_REFUSE, REASON_UNSAFE_SUGGESTED_ACTION),
            id="unsafe-beats-unknown-kind",
        ),
        pytest.param(
            rec(confidence=0.99, endpoint="/v1/../admin"),
            frozenset(),
            (ACTION_REFUSE, REASON_UNSAFE_SUGGESTED_ACTION),
            id="unsafe-refresh",
        ),
        pytest.param(
            rec("value_propositions", 0.9, endpoint="//evil.example/v1/projects/prj_1", method="PATCH"),
            ALLOW_VP,
            (ACTION_REFUSE, REASON_UNSAFE_SUGGESTED_ACTION),
            id="unsafe-beats-auto-approval",
        ),
        pytest.param(
            rec(method="CONNECT"),
            frozenset(),
            (ACTION_REFUSE, REASON_UNSAFE_SUGGESTED_ACTION),
            id="odd-method",
        ),
        pytest.param(
            rec(method=None),
            frozenset(),
            (ACTION_REFUSE, REASON_UNSAFE_SUGGESTED_ACTION),
            id="endpoint-no-method",
        ),
        pytest.param(
            rec(method="post"),
            frozenset(),
            (ACTION_ACT, REASON_REFRESH_FATIGUED),
            id="method-case-insensitive",
        ),
    ],
)
def test_triage(recommendation, auto_approve, expected):
    triage = triage_recommendation(recommendation, DEFAULT, auto_approve)
    assert (triage.action, triage.reason) == expected
    assert triage.evidence.recommendation_id == recommendation.recommendation_id
    assert (triage.evidence.refusal is not None) is (triage.action is ACTION_REFUSE)


def test_triage_thresholds_are_per_customer():
    tuned = DEFAULT.with_overrides({"recommendation_act_confidence": 0.9})
    assert triage_recommendation(rec(confidence=0.8), tuned).reason == REASON_MODERATE_CONFIDENCE


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([], (ACTION_PROCEED, REASON_NO_PAID_DATA), id="no-paid-data"),
        pytest.param([ad(spend=80.0)], (ACTION_PROCEED, REASON_NO_CONVERSIONS), id="no-conversions"),
        pytest.param(
            [ad(spend=80.0, conversions=4, roas=0.99)],
            (ACTION_PROCEED, REASON_ROAS_BELOW_BREAKEVEN),
            id="roas-0.99",
        ),
        pytest.param(
            [ad(spend=80.0, conversions=4, roas=1.0)],
            (ACTION_SKIP, REASON_ADS_METRICS_DISAGREE),
            id="roas-1.0",
        ),
        pytest.param(
            [ad(spend=80.0, conversions=4, roas=3.0)], (ACTION_SKIP, REASON_ADS_METRICS_DISAGREE), id="roas-3"
        ),
        pytest.param(
            [ad(spend=80.0, conversions=4)],
            (ACTION_SKIP, REASON_ADS_METRICS_DISAGREE),
            id="converting-no-roas",
        ),
        pytest.param(
            [ad("a", 900.0, 4, roas=0.5), ad("b", 100.0, 1, roas=4.0)],
            (ACTION_PROCEED, REASON_ROAS_BELOW_BREAKEVEN),
            id="roas-weighted-by-spend",
        ),
    ],
)
def test_cross_check_refresh(rows, expected):
    check = cross_check_refresh(rows)
    assert (check.action, check.reason) == expected
    assert check.ads == len(rows)
