"""The health verdict as a pure function: each signal at, below and above its threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agent.rules.health import (
    SIGNAL_FREQUENT_OVERRIDES,
    SIGNAL_JOB_FAILURES,
    SIGNAL_NO_RECENT_POSTS,
    SIGNAL_ORGANIC_SCORE_DROPPING,
    CustomerHealth,
    HealthThresholds,
    evaluate,
    score_drop,
)

DAY = date(2026, 11, 20)
DEFAULTS = HealthThresholds()


def series(*scores: float) -> list[tuple[date, float]]:
    return [(DAY + timedelta(days=i), score) for i, score in enumerate(scores)]


def health(
    *,
    failures: dict[date, int] | None = None,
    published: int | None = 4,
    scores: list[tuple[date, float]] | None = None,
    overrides: int = 0,
) -> CustomerHealth:
    return CustomerHealth(
        customer_id=7,
        name="Acme Coffee",
        job_failures_by_day=failures or {},
        posts_published_14d=published,
        score_series=scores or [],
        overrides_last_week=overrides,
    )


def signals(customer: CustomerHealth, thresholds: HealthThresholds = DEFAULTS) -> list[tuple[str, str]]:
    return [(s.signal, s.detail) for s in evaluate([customer], thresholds)]


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([], None),
        (series(0.5), None),  # one snapshot is not a trend
        (series(0.0, 0.3), None),  # nothing to fall from
        (series(-0.1, 0.3), None),
        (series(0.4, 0.5), 0.0),  # rising is not a drop
        (series(0.5, 0.5), 0.0),
        (series(0.5, 0.25), 0.5),
        (series(0.5, 0.0), 1.0),
        (series(0.5, 0.1, 0.5), 0.0),  # first and last only: a dip that recovered is no drop
        (series(0.5, 0.9, 0.4), 0.2),
    ],
)
def test_score_drop(points, expected):
    assert score_drop(points) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(("first", "last"), [(0.5, 0.4), (1.0, 0.8), (0.35, 0.28), (0.7, 0.56), (0.45, 0.36)])
def test_a_fall_of_exactly_the_ratio_fires(first, last):
    """ "20% or more": (0.5 - 0.4) / 0.5 is 0.19999999999999996 in floating point, and must still count."""
    assert score_drop(series(first, last)) == 0.2
    assert [s for s, _ in signals(health(scores=series(first, last)))] == [SIGNAL_ORGANIC_SCORE_DROPPING]


@pytest.mark.parametrize(
    ("scores", "fires"),
    [
        ((0.50, 0.41), False),  # 18%
        ((0.50, 0.401), False),  # 19.8%
        ((0.50, 0.399), True),
        ((0.50, 0.38), True),
    ],
)
def test_score_drop_boundary(scores, fires):
    assert bool(signals(health(scores=series(*scores)))) is fires


def test_score_drop_detail():
    assert signals(health(scores=series(0.50, 0.45, 0.38))) == [
        (SIGNAL_ORGANIC_SCORE_DROPPING, "average organic score fell 24% (0.50 -> 0.38)")
    ]


def test_score_drop_ratio_is_configurable():
    strict = HealthThresholds(score_drop_ratio=0.1)
    assert signals(health(scores=series(0.50, 0.44)), strict)
    assert not signals(health(scores=series(0.50, 0.44)))


@pytest.mark.parametrize(("failures", "fires"), [(0, False), (3, False), (4, True), (40, True)])
def test_job_failures_above_the_daily_threshold(failures, fires):
    found = signals(health(failures={DAY: failures}))
    assert found == (
        [(SIGNAL_JOB_FAILURES, f"{failures} failed jobs on 2026-11-20 (threshold 3)")] if fires else []
    )


def test_job_failures_count_per_day_not_per_week():
    spread = {DAY + timedelta(days=i): 3 for i in range(7)}  # 21 in a week, never more than 3 a day
    assert signals(health(failures=spread)) == []


def test_each_bad_day_is_its_own_signal_in_date_order():
    bad = {DAY + timedelta(days=2): 5, DAY: 4, DAY + timedelta(days=1): 1}
    assert [detail for _, detail in signals(health(failures=bad))] == [
        "4 failed jobs on 2026-11-20 (threshold 3)",
        "5 failed jobs on 2026-11-22 (threshold 3)",
    ]


def test_a_zero_threshold_fires_on_the_first_failure():
    assert signals(health(failures={DAY: 1}), HealthThresholds(max_job_failures_per_day=0))


@pytest.mark.parametrize(("published", "fires"), [(0, True), (1, False), (None, False)])
def test_no_recent_posts_only_when_layers_said_zero(published, fires):
    expected = [(SIGNAL_NO_RECENT_POSTS, "no post published in 14 days")] if fires else []
    assert signals(health(published=published)) == expected


@pytest.mark.parametrize(("overrides", "fires"), [(0, False), (3, False), (4, True)])
def test_frequent_overrides_above_the_weekly_threshold(overrides, fires):
    expected = (
        [(SIGNAL_FREQUENT_OVERRIDES, f"{overrides} optimizer overrides in 7 days (threshold 3)")]
        if fires
        else []
    )
    assert signals(health(overrides=overrides)) == expected


def test_a_healthy_fleet_has_no_signal():
    assert evaluate([], DEFAULTS) == []
    assert (
        evaluate([health(), health(failures={DAY: 3}, scores=series(0.5, 0.45), overrides=3)], DEFAULTS) == []
    )


def test_one_customer_can_cross_every_threshold_at_once():
    sick = health(failures={DAY: 4}, published=0, scores=series(0.6, 0.3), overrides=5)
    found = evaluate([health(), sick], DEFAULTS)
    assert [s.signal for s in found] == [
        SIGNAL_JOB_FAILURES,
        SIGNAL_NO_RECENT_POSTS,
        SIGNAL_ORGANIC_SCORE_DROPPING,
        SIGNAL_FREQUENT_OVERRIDES,
    ]
    assert {(s.customer_id, s.name) for s in found} == {(7, "Acme Coffee")}
