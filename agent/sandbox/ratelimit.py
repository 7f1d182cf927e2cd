"""Rate limits (contract §4): fixed 60-second windows per (api key, endpoint class) on the sandbox clock.

A tier can be scaled by K (`RateLimitTier.scaled`, `Sandbox(time_scale=K)`): every window lasts 60 / K
seconds with the same allowance, so the rates are K times the tier's and a quota-bound fleet runs K times
faster than on the real API, Retry-After included. Job durations are divided by the same K (`Sandbox`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from datetime import datetime

from agent.sandbox.scenario_schema import RateLimits

READ_LIGHT = "read-light"
WRITE_LIGHT = "write-light"
LONG_RUNNING = "long-running"
WINDOW_S = 60
DAY_S = 86_400


@dataclass(frozen=True)
class RateLimitTier:
    """Requests per window per class (a minute unscaled); `None` means unlimited. `concurrent_jobs` caps
    running jobs. `time_scale` K shortens every window (and the daily write window) K times."""

    name: str
    read_light: int | None
    write_light: int | None
    long_running: int | None
    daily_write: int | None = None
    concurrent_jobs: int | None = 10
    time_scale: float = 1.0

    def per_minute(self, endpoint_class: str) -> int | None:
        """The allowance of one window (requests per minute when unscaled)."""
        return {READ_LIGHT: self.read_light, WRITE_LIGHT: self.write_light, LONG_RUNNING: self.long_running}[
            endpoint_class
        ]

    @property
    def window_s(self) -> float:
        return WINDOW_S / self.time_scale

    @property
    def day_s(self) -> float:
        return DAY_S / self.time_scale

    def scaled(self, time_scale: float) -> RateLimitTier:
        """The same tier K times faster: windows of 60 / K seconds, so K times the rates."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        return replace(self, time_scale=self.time_scale * time_scale)


TIERS = {
    "standard": RateLimitTier("standard", 120, 60, 20, 10_000),
    "pilot": RateLimitTier("pilot", 1_200, 600, 60, 100_000),
    "partner": RateLimitTier("partner", 6_000, 3_000, 300, 500_000),
    "disabled": RateLimitTier("disabled", None, None, None, None, None),
}


def tier_from_scenario(spec: RateLimits) -> RateLimitTier:
    """The scenario's `rateLimits`: a named tier (its daily cap and running-jobs cap may be overridden)
    or custom numbers."""
    if spec.tier == "custom":
        return RateLimitTier(
            "custom",
            spec.read_light,
            spec.write_light,
            spec.long_running,
            spec.daily_write,
            spec.concurrent_jobs,
        )
    base = resolve_tier(spec.tier)
    if base.name == "disabled":
        return base
    return replace(
        base, daily_write=spec.daily_write or base.daily_write, concurrent_jobs=spec.concurrent_jobs
    )


def resolve_tier(spec: str | RateLimitTier | None) -> RateLimitTier:
    """A tier from its name ("off"/"disabled"/None switch limiting off) or a custom RateLimitTier."""
    if isinstance(spec, RateLimitTier):
        return spec
    name = "disabled" if spec in (None, "off", "none") else spec
    if name not in TIERS:
        raise ValueError(f"unknown rate-limit tier {spec!r}; expected one of {sorted(TIERS)}")
    return TIERS[name]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int | None = None
    remaining: int | None = None
    reset_s: int | None = None

    @property
    def retry_after_s(self) -> int:
        return max(1, self.reset_s or 1)

    def headers(self) -> dict[str, str]:
        if self.limit is None:
            return {}
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }


UNLIMITED = Decision(allowed=True)


def window_bounds(now: datetime, length_s: float) -> tuple[float, float]:
    """The fixed window containing `now`, as epoch seconds [start, end)."""
    ts = now.timestamp()
    start = math.floor(ts / length_s) * length_s
    return start, start + length_s


def seconds_until(now: datetime, end: float) -> int:
    return max(1, math.ceil(end - now.timestamp()))


class RateLimiter:
    """Counts requests in the current window; a refused request does not consume the budget."""

    def __init__(self, tier: RateLimitTier) -> None:
        self.tier = tier
        self._counts: dict[tuple[str, str, float], int] = {}
        self._lock = threading.Lock()

    def _take(self, key: tuple[str, str], limit: int, now: datetime, length_s: float) -> Decision:
        start, end = window_bounds(now, length_s)
        slot = (*key, start)
        used = self._counts.get(slot, 0)
        reset = seconds_until(now, end)
        if used >= limit:
            return Decision(False, limit, 0, reset)
        self._counts[slot] = used + 1
        return Decision(True, limit, limit - used - 1, reset)

    def check(self, api_key: str, endpoint_class: str, now: datetime) -> Decision:
        limit = self.tier.per_minute(endpoint_class)
        if limit is None:
            return UNLIMITED
        with self._lock:
            self._forget_old(now)
            if endpoint_class == WRITE_LIGHT and self.tier.daily_write is not None:
                start, end = window_bounds(now, self.tier.day_s)
                if self._counts.get((api_key, "daily-write", start), 0) >= self.tier.daily_write:
                    return Decision(False, limit, 0, seconds_until(now, end))
            decision = self._take((api_key, endpoint_class), limit, now, self.tier.window_s)
            if decision.allowed and endpoint_class == WRITE_LIGHT and self.tier.daily_write is not None:
                start, _ = window_bounds(now, self.tier.day_s)
                daily = (api_key, "daily-write", start)
                self._counts[daily] = self._counts.get(daily, 0) + 1
            return decision

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def _forget_old(self, now: datetime) -> None:
        day_start, _ = window_bounds(now, self.tier.day_s)
        minute_start, _ = window_bounds(now, self.tier.window_s)
        for slot in [
            s for s in self._counts if s[2] < (day_start if s[1] == "daily-write" else minute_start)
        ]:
            del self._counts[slot]
