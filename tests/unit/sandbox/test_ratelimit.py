"""Fixed 60-second windows per (key, class): limits, Retry-After and reset math."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.sandbox import RateLimitTier
from agent.sandbox.ratelimit import (
    LONG_RUNNING,
    READ_LIGHT,
    WRITE_LIGHT,
    RateLimiter,
    resolve_tier,
    window_bounds,
)

T0 = datetime(2026, 4, 20, 12, 0, 15, tzinfo=UTC)
KEY = "lp_test_a_b"


def test_window_bounds_are_aligned_minutes():
    start, end = window_bounds(T0, 60)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
    assert end - start == 60


def test_limit_then_429_with_seconds_until_the_window_ends():
    limiter = RateLimiter(RateLimitTier("custom", 3, 1, 1))
    decisions = [limiter.check(KEY, READ_LIGHT, T0) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[-1].retry_after_s == 45
    late = limiter.check(KEY, READ_LIGHT, T0 + timedelta(seconds=44, milliseconds=500))
    assert not late.allowed
    assert late.retry_after_s == 1
    assert limiter.check(KEY, READ_LIGHT, T0 + timedelta(seconds=45)).allowed


def test_refused_requests_do_not_consume_the_next_window():
    limiter = RateLimiter(RateLimitTier("custom", 1, 1, 1))
    limiter.check(KEY, READ_LIGHT, T0)
    for _ in range(5):
        limiter.check(KEY, READ_LIGHT, T0)
    nxt = limiter.check(KEY, READ_LIGHT, T0 + timedelta(seconds=60))
    assert nxt.allowed
    assert nxt.remaining == 0


def test_classes_and_keys_have_independent_buckets():
    limiter = RateLimiter(RateLimitTier("custom", 1, 1, 1))
    assert limiter.check(KEY, READ_LIGHT, T0).allowed
    assert limiter.check(KEY, WRITE_LIGHT, T0).allowed
    assert limiter.check(KEY, LONG_RUNNING, T0).allowed
    assert limiter.check("lp_test_other_key", READ_LIGHT, T0).allowed
    assert not limiter.check(KEY, READ_LIGHT, T0).allowed


def test_daily_write_cap():
    limiter = RateLimiter(RateLimitTier("custom", 10, 10, 10, daily_write=2))
    assert limiter.check(KEY, WRITE_LIGHT, T0).allowed
    assert limiter.check(KEY, WRITE_LIGHT, T0 + timedelta(minutes=5)).allowed
    blocked = limiter.check(KEY, WRITE_LIGHT, T0 + timedelta(minutes=10))
    assert not blocked.allowed
    assert blocked.retry_after_s > 3600
    assert limiter.check(KEY, READ_LIGHT, T0 + timedelta(minutes=10)).allowed


def test_named_tiers_and_disabled():
    assert resolve_tier("standard").per_minute(LONG_RUNNING) == 20
    assert resolve_tier("pilot").read_light == 1200
    assert resolve_tier("partner").write_light == 3000
    limiter = RateLimiter(resolve_tier("off"))
    decision = limiter.check(KEY, READ_LIGHT, T0)
    assert decision.allowed
    assert decision.headers() == {}
    with pytest.raises(ValueError, match="unknown rate-limit tier"):
        resolve_tier("gold")


def test_headers_report_the_bucket():
    limiter = RateLimiter(resolve_tier("standard"))
    headers = limiter.check(KEY, WRITE_LIGHT, T0).headers()
    assert headers == {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59", "X-RateLimit-Reset": "45"}
