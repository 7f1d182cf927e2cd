"""Optimization rules: spend flags, the creative pool, and the day's plan."""

from datetime import UTC, datetime, timedelta

import pytest

from agent.domain.decisions import CommissionRequest
from agent.domain.evidence import PoolCheck, SpendFlag
from agent.domain.vocabulary import Action, Reason
from agent.rules.optimization import (
    HookSource,
    flag_spend_without_conversions,
    pick_hook_source,
    pool_decision,
)
from agent.rules.thresholds import Thresholds
from tests.support.ads import ad

DEFAULT = Thresholds()
NOW = datetime(2026, 4, 18, 9, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=7), NOW)
ACTION_COMMISSION, ACTION_FLAG, ACTION_NONE, ACTION_SKIP = (
    Action.COMMISSION,
    Action.FLAG,
    Action.NONE,
    Action.SKIP,
)
REASON_COMMISSION_COOLDOWN = Reason.COMMISSION_COOLDOWN
REASON_NO_HOOK_SOURCE = Reason.NO_HOOK_SOURCE
REASON_POOL_HEALTHY = Reason.POOL_HEALTHY
REASON_SPEND_WITHOUT_CONVERSIONS = Reason.SPEND_WITHOUT_CONVERSIONS
REASON_THIN_CREATIVE_POOL = Reason.THIN_CREATIVE_POOL


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
    assert [(f.action, f.reason, f.subject.id) for f in flags] == [
        (ACTION_FLAG, REASON_SPEND_WITHOUT_CONVERSIONS, "big"),
        (ACTION_FLAG, REASON_SPEND_WITHOUT_CONVERSIONS, "small"),
    ]
    assert flags[0].evidence == SpendFlag(
        spend=300.0,
        impressions=None,
        conversions=0.0,
        window_since="2026-04-11T09:00:00+00:00",
        window_until="2026-04-18T09:00:00+00:00",
        threshold=50.0,
    )
    assert flags[0].key == "ad:big"


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
    decision = pool(eligible, last, performer)
    assert (decision.action, decision.reason) == expected
    assert (decision.effect is not None) is (decision.action is ACTION_COMMISSION)


def pool(eligible, last, performer, thresholds=DEFAULT):
    return pool_decision(
        project_id="prj_1",
        eligible_count=eligible,
        last_commission_at=last,
        now=NOW,
        best_performer=performer,
        thresholds=thresholds,
    )


def test_commission_carries_the_hook_and_evidence():
    decision = pool(1, NOW - timedelta(days=9), HOOK)
    assert decision.effect == CommissionRequest("Get things done.", "pp_1")
    assert decision.evidence == PoolCheck(
        eligible_count=1,
        min_eligible_pool=3,
        hook_source_post_id="pp_1",
        last_commission_at="2026-04-09T09:00:00+00:00",
        commission_cooldown_days=7,
        hook="Get things done.",
    )


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
