import json
from datetime import UTC, datetime, timedelta

import pytest

from agent.rules.optimization import (
    ACTION_ACT,
    ACTION_COMMISSION,
    ACTION_FLAG,
    ACTION_NONE,
    ACTION_PENDING_APPROVAL,
    ACTION_PROCEED,
    ACTION_REFUSE,
    ACTION_SKIP,
    ACTION_SURFACE,
    REASON_ADS_METRICS_DISAGREE,
    REASON_AUTO_APPROVED_BY_POLICY,
    REASON_CHANGES_BRAND_CONFIGURATION,
    REASON_COMMISSION_COOLDOWN,
    REASON_LOW_CONFIDENCE,
    REASON_MODERATE_CONFIDENCE,
    REASON_NO_CONVERSIONS,
    REASON_NO_HOOK_SOURCE,
    REASON_NO_PAID_DATA,
    REASON_POOL_HEALTHY,
    REASON_REFRESH_FATIGUED,
    REASON_ROAS_BELOW_BREAKEVEN,
    REASON_SPEND_WITHOUT_CONVERSIONS,
    REASON_THIN_CREATIVE_POOL,
    REASON_UNKNOWN_KIND,
    REASON_UNSAFE_SUGGESTED_ACTION,
    AdSpend,
    HookSource,
    RecommendationView,
    cross_check_refresh,
    dedupe_recommendations,
    flag_spend_without_conversions,
    is_safe_relative_api_path,
    pick_hook_source,
    pool_action,
    spend_weighted_roas,
    triage_recommendation,
)
from agent.rules.thresholds import Thresholds

DEFAULT = Thresholds()
NOW = datetime(2026, 4, 18, 9, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=7), NOW)
CLONE_PATH = "/v1/projects/prj_1/content/clone-from-post"


def ad(ad_id="ad_1", spend=0.0, conversions=0.0, *, content=None, roas=None, impressions=1000):
    cpa = spend / conversions if conversions else None
    return AdSpend(ad_id, content, spend, impressions, conversions, cpa, roas)


# Spend without conversions


@pytest.mark.parametrize(
    ("row", "flagged"),
    [
        pytest.param(ad(spend=50.0), False, id="exactly-50-is-not-over"),
        pytest.param(ad(spend=50.01), True, id="just-over-50"),
        pytest.param(ad(spend=500.0, conversions=1), False, id="converting"),
        pytest.param(ad(spend=500.0, conversions=0.5), False, id="fractional-conversion-counts"),
        pytest.param(ad(spend=0.0), False, id="no-spend"),
    ],
)
def test_spend_without_conversions_boundary(row, flagged):
    assert bool(flag_spend_without_conversions([row], DEFAULT, WINDOW)) is flagged


def test_flag_evidence_and_order():
    rows = [ad("small", 60.0), ad("big", 300.0, impressions=None), ad("ok", 300.0, 3)]
    flags = flag_spend_without_conversions(rows, DEFAULT, WINDOW)
    assert [(f.action, f.reason, f.ad_id) for f in flags] == [
        (ACTION_FLAG, REASON_SPEND_WITHOUT_CONVERSIONS, "big"),
        (ACTION_FLAG, REASON_SPEND_WITHOUT_CONVERSIONS, "small"),
    ]
    assert flags[0].evidence == {
        "spend": 300.0,
        "impressions": None,
        "conversions": 0.0,
        "window_since": "2026-04-11T09:00:00+00:00",
        "window_until": "2026-04-18T09:00:00+00:00",
        "threshold": 50.0,
    }
    json.dumps([f.evidence for f in flags])


def test_flag_threshold_is_per_customer():
    tuned = DEFAULT.with_overrides({"spend_without_conversions_min": 100.0})
    assert flag_spend_without_conversions([ad(spend=60.0)], tuned, WINDOW) == []


def test_a_reversed_window_is_rejected():
    with pytest.raises(ValueError, match="before it starts"):
        flag_spend_without_conversions([], DEFAULT, (NOW, NOW - timedelta(days=1)))


# Creative pool

HOOK = HookSource("pp_1", "  Get things done.  ", 0.08)


@pytest.mark.parametrize(
    ("eligible", "last", "performer", "expected"),
    [
        pytest.param(3, None, HOOK, (ACTION_NONE, REASON_POOL_HEALTHY), id="3-eligible-is-healthy"),
        pytest.param(
            3, NOW - timedelta(days=1), None, (ACTION_NONE, REASON_POOL_HEALTHY), id="healthy-beats-cooldown"
        ),
        pytest.param(2, None, HOOK, (ACTION_COMMISSION, REASON_THIN_CREATIVE_POOL), id="2-eligible-is-thin"),
        pytest.param(0, None, HOOK, (ACTION_COMMISSION, REASON_THIN_CREATIVE_POOL), id="empty-pool"),
        pytest.param(
            2,
            NOW - timedelta(days=7) + timedelta(seconds=1),
            HOOK,
            (ACTION_SKIP, REASON_COMMISSION_COOLDOWN),
            id="a-second-under-7-days-is-cooling-down",
        ),
        pytest.param(
            2,
            NOW - timedelta(days=7),
            HOOK,
            (ACTION_COMMISSION, REASON_THIN_CREATIVE_POOL),
            id="exactly-7-days-is-allowed-again",
        ),
        pytest.param(
            2,
            NOW + timedelta(hours=1),
            HOOK,
            (ACTION_SKIP, REASON_COMMISSION_COOLDOWN),
            id="future-commission",
        ),
        pytest.param(
            2,
            NOW - timedelta(days=1),
            None,
            (ACTION_SKIP, REASON_COMMISSION_COOLDOWN),
            id="cooldown-beats-no-hook",
        ),
        pytest.param(2, None, None, (ACTION_SKIP, REASON_NO_HOOK_SOURCE), id="no-performer"),
        pytest.param(
            2, None, HookSource("pp_1", "   ", 0.1), (ACTION_SKIP, REASON_NO_HOOK_SOURCE), id="blank-title"
        ),
        pytest.param(
            2, None, HookSource("pp_1", None, 0.1), (ACTION_SKIP, REASON_NO_HOOK_SOURCE), id="no-title"
        ),
    ],
)
def test_pool_action(eligible, last, performer, expected):
    decision = pool_action(eligible, last, NOW, performer, DEFAULT)
    assert (decision.action, decision.reason) == expected
    json.dumps(decision.evidence)


def test_commission_carries_the_hook_and_evidence():
    last = NOW - timedelta(days=9)
    decision = pool_action(1, last, NOW, HOOK, DEFAULT)
    assert decision.hook == "Get things done."
    assert decision.evidence == {
        "eligible_count": 1,
        "min_eligible_pool": 3,
        "hook_source_post_id": "pp_1",
        "last_commission_at": "2026-04-09T09:00:00+00:00",
        "commission_cooldown_days": 7,
    }


@pytest.mark.parametrize(
    ("performers", "expected"),
    [
        pytest.param([], None, id="none"),
        pytest.param([HookSource("a", "", 0.9), HookSource("b", None, 0.8)], None, id="all-untitled"),
        pytest.param([HookSource("a", "", 0.9), HookSource("b", "B", 0.1)], "b", id="skips-untitled"),
        pytest.param([HookSource("a", "A", 0.1), HookSource("b", "B", 0.5)], "b", id="best-metric"),
        pytest.param([HookSource("a", "A", 0.5), HookSource("b", "B", 0.5)], "a", id="tie-keeps-rank"),
        pytest.param([HookSource("a", "A", None), HookSource("b", "B", 0.0)], "b", id="missing-metric-last"),
    ],
)
def test_pick_hook_source(performers, expected):
    picked = pick_hook_source(performers)
    assert (picked.platform_post_id if picked else None) == expected


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


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        pytest.param(CLONE_PATH, True, id="clone-path"),
        pytest.param("/v1/projects/prj_1", True, id="project"),
        pytest.param("/v1/projects/prj_1?x=1", True, id="query"),
        pytest.param("/v2/projects/prj_1", False, id="other-version"),
        pytest.param("v1/projects", False, id="not-absolute"),
        pytest.param("/v1", False, id="bare-v1"),
        pytest.param("https://evil.example/v1/x", False, id="absolute-url"),
        pytest.param("//evil.example/v1/x", False, id="protocol-relative"),
        pytest.param("/v1//evil.example", False, id="double-slash"),
        pytest.param("/v1/../admin", False, id="dot-dot"),
        pytest.param("/v1/projects/..", False, id="trailing-dot-dot"),
        pytest.param("/v1/./projects", False, id="dot"),
        pytest.param("/v1/%2e%2e/admin", False, id="encoded-dots"),
        pytest.param("/v1/%2E%2E/admin", False, id="encoded-dots-upper"),
        pytest.param("/v1/x%2fy", False, id="encoded-slash"),
        pytest.param("/v1/x%5cy", False, id="encoded-backslash"),
        pytest.param("/v1/%252e%252e/admin", False, id="double-encoded"),
        pytest.param("/v1/x\\..\\admin", False, id="backslash"),
        pytest.param("/v1/x y", False, id="space"),
        pytest.param("/v1/x\ty", False, id="tab"),
        pytest.param("/v1/x\r\nHost: evil", False, id="crlf"),
        pytest.param("/v1/x\x00", False, id="nul"),
        pytest.param("/v1/x\x7f", False, id="del"),
        pytest.param("/v1/\uff0e\uff0e/admin", False, id="fullwidth-dots"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="not-a-string"),
    ],
)
def test_is_safe_relative_api_path(path, safe):
    assert is_safe_relative_api_path(path) is safe


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
    assert (triage.recommendation_id, triage.kind) == (recommendation.recommendation_id, recommendation.kind)
    json.dumps(triage.evidence)


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
    json.dumps(check.evidence)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([], None, id="no-ads"),
        pytest.param([ad(spend=10.0)], None, id="no-roas-reported"),
        pytest.param([ad(spend=0.0, roas=2.0)], None, id="no-spend"),
        pytest.param([ad("a", 900.0, roas=0.5), ad("b", 100.0, roas=4.0)], 0.85, id="weighted"),
        pytest.param([ad("a", 100.0, roas=2.0), ad("b", 100.0)], 2.0, id="unreported-ad-left-out"),
    ],
)
def test_spend_weighted_roas(rows, expected):
    assert spend_weighted_roas(rows) == pytest.approx(expected)
