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
REASON_AUTO_APPROVED_BY_POLICY = Reason.AUTO_APPROVED_BY_POLICY
REASON_CHANGES_BRAND_CONFIGURATION = Reason.CHANGES_BRAND_CONFIGURATION
REASON_LOW_CONFIDENCE = Reason.LOW_CONFIDENCE
REASON_MODERATE_CONFIDENCE = Reason.MODERATE_CONFIDENCE
REASON_NO_PAID_DATA = Reason.NO_PAID_DATA
REASON_REFRESH_FATIGUED = Reason.REFRESH_FATIGUED
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


# The fatigue cross-check (issue 15): a refresh adds creative and pauses nothing, so it goes ahead unless the
# subject's ads stopped running; a healthy ROAS is never a veto. Fatigue = CPA rising while impressions hold.
@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        pytest.param([], [], (ACTION_PROCEED, Reason.NO_PAID_DATA), id="no-paid-data-refresh"),
        pytest.param(
            [ad(spend=80.0, conversions=2, roas=2.5, impressions=9000)],
            [ad(spend=80.0, conversions=4, roas=3.0, impressions=10000)],
            (ACTION_PROCEED, Reason.FATIGUE_CONFIRMED),
            id="cpa-rising-with-roas-above-1-refresh",
        ),
        pytest.param(
            [],
            [ad(spend=80.0, conversions=4, roas=3.0)],
            (ACTION_SKIP, Reason.ADS_NOT_RUNNING),
            id="ads-stopped-skip",
        ),
        pytest.param(
            [ad(spend=0.0, impressions=0)],
            [ad(spend=80.0, conversions=4)],
            (ACTION_SKIP, Reason.ADS_NOT_RUNNING),
            id="ads-deliver-nothing-now-skip",
        ),
        pytest.param(
            [ad(spend=80.0, conversions=4, roas=3.0)],
            [ad(spend=80.0, conversions=4, roas=3.0)],
            (ACTION_PROCEED, Reason.ADS_RUNNING),
            id="healthy-roas-still-running-refresh",
        ),
        pytest.param(
            [ad(spend=80.0, conversions=2, impressions=3000)],
            [ad(spend=80.0, conversions=4, impressions=10000)],
            (ACTION_PROCEED, Reason.ADS_RUNNING),
            id="cpa-rising-but-impressions-fell-is-not-fatigue",
        ),
        pytest.param(
            [ad(spend=80.0, impressions=9000)],
            [ad(spend=80.0, conversions=4, impressions=10000)],
            (ACTION_PROCEED, Reason.FATIGUE_CONFIRMED),
            id="conversions-dried-up-is-rising-cpa",
        ),
        pytest.param(
            [ad(spend=80.0, conversions=4, roas=3.0)],
            [],
            (ACTION_PROCEED, Reason.ADS_RUNNING),
            id="new-ads-running",
        ),
    ],
)
def test_cross_check_refresh(current, previous, expected):
    check = cross_check_refresh(current, previous)
    assert (check.action, check.reason) == expected
    assert (check.ads, check.previous_ads) == (len(current), len(previous))


def test_cross_check_records_the_fatigue_signal():
    check = cross_check_refresh(
        [ad("a", 900.0, 4, roas=0.5, impressions=9500), ad("b", 100.0, 1, roas=4.0, impressions=500)],
        [ad("a", 900.0, 9, impressions=10000)],
    )
    assert check.roas == pytest.approx(0.85)  # spend-weighted: context, never a veto
    assert (check.cpa, check.previous_cpa) == (pytest.approx(200.0), pytest.approx(100.0))
    assert (check.impressions, check.previous_impressions) == (10000, 10000)
    assert (check.cpa_rising, check.impressions_hold) == (True, True)
