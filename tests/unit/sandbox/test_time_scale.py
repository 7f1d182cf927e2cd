"""A sandbox K times faster than the real API: rate windows of 60 / K seconds with the tier's allowance (so
K times the rates, Retry-After included) and job durations divided by K; and the generated fleets."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from agent.sandbox import ManualClock, Sandbox
from agent.sandbox.fleet import MIX, archetype, fleet_scenario, project_id
from agent.sandbox.ratelimit import READ_LIGHT, WRITE_LIGHT, RateLimiter, resolve_tier, window_bounds

T0 = datetime(2026, 4, 20, 12, 0, 0, tzinfo=UTC)
KEY = "lp_test_a_b"


def test_a_scaled_tier_allows_its_minute_in_a_kth_of_a_minute():
    tier = resolve_tier("standard").scaled(10)
    assert (tier.window_s, tier.day_s, tier.read_light) == (6.0, 8640.0, 120)
    limiter = RateLimiter(tier)
    decisions = [limiter.check(KEY, READ_LIGHT, T0) for _ in range(121)]
    assert sum(d.allowed for d in decisions) == 120
    assert decisions[-1].retry_after_s == 6  # until the 6-second window ends
    assert limiter.check(KEY, READ_LIGHT, T0 + timedelta(seconds=6)).allowed


def test_the_daily_write_window_is_scaled_too():
    tier = resolve_tier("standard").scaled(100)  # a day of 864 s, windows of 0.6 s allowing 60 writes each
    limiter = RateLimiter(tier)
    day = datetime.fromtimestamp(window_bounds(T0, tier.day_s)[0], UTC)
    moments = [day + timedelta(seconds=window * 0.6) for window in range(200) for _ in range(60)]
    allowed = sum(limiter.check(KEY, WRITE_LIGHT, at).allowed for at in moments)
    assert allowed == 10_000  # the daily cap, reached in two minutes
    assert limiter.check(KEY, WRITE_LIGHT, day + timedelta(seconds=864)).allowed


def test_scaling_composes_and_refuses_nonsense():
    assert resolve_tier("pilot").scaled(2).scaled(5).time_scale == 10
    with pytest.raises(ValueError, match="positive"):
        resolve_tier("pilot").scaled(0)


def test_the_sandbox_divides_rate_windows_and_job_durations_by_k():
    plain = Sandbox.from_demo(clock=ManualClock(T0), job_duration_scale=0.5)
    fast = Sandbox.from_demo(clock=ManualClock(T0), job_duration_scale=0.5, time_scale=20)
    assert (fast.tier.name, fast.tier.window_s) == (plain.tier.name, 3.0)
    assert fast.job_duration_scale == pytest.approx(plain.job_duration_scale / 20)
    with pytest.raises(ValueError, match="positive"):
        Sandbox.from_demo(time_scale=-1)


def test_a_fleet_scenario_says_its_time_scale():
    scenario = fleet_scenario(3).model_copy(update={"time_scale": 7.0})
    assert Sandbox(scenario, clock=ManualClock(T0)).tier.window_s == pytest.approx(60 / 7)


def test_a_generated_fleet_holds_the_mix_in_proportion_and_is_the_same_every_time():
    n = 1000
    kinds = Counter(archetype(k) for k in range(1, n + 1))
    for kind, share in MIX:
        assert abs(kinds[kind] - share * n) <= 0.02 * n, (kind, kinds[kind])
    first, again = fleet_scenario(40, seed=3), fleet_scenario(40, seed=3)
    assert first == again
    assert [p.id for p in first.projects][:2] == [project_id(1), project_id(2)]
    assert len({p.timezone for p in first.projects}) == 12
    assert {p.stage for p in first.projects} == {"early", "growth", "mature"}
