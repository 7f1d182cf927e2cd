"""The retry policy of the Layers client: every retry constant lives here.

A small explicit loop rather than tenacity: the decision needs the exception itself (Retry-After on a
429, "is this a mutation with a key?"), the overall deadline must count the sleep about to happen, and
both the sleep and the clock must be injectable so tests run without waiting. Tenacity's deadline
reads its own monotonic clock, which would make the fake-clock tests impossible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from agent.config import Settings
from agent.layers.errors import LayersConnectionError, LayersError, RateLimited, ServerError

T = TypeVar("T")

BASE_DELAY_S = 0.5  # first backoff ceiling; doubles per attempt (full jitter picks 0..ceiling)
MAX_DELAY_S = 8.0  # no single backoff sleep is longer than this
RETRYABLE = (RateLimited, ServerError, LayersConnectionError)  # KillSwitch is not a ServerError


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long one logical call may be retried."""

    max_attempts: int = 5
    deadline_s: float = 60.0
    retry_after_cap_s: float = 30.0
    base_delay_s: float = BASE_DELAY_S
    max_delay_s: float = MAX_DELAY_S

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.http_max_attempts,
            deadline_s=settings.http_deadline_s,
            retry_after_cap_s=settings.retry_after_cap_s,
        )

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2^(attempt-1))]."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return rng.uniform(0.0, ceiling)

    def delay_after(self, exc: LayersError, attempt: int, rng: random.Random) -> float | None:
        """Seconds to wait before the next attempt, or None when `exc` must not be retried."""
        if not isinstance(exc, RETRYABLE):
            return None
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            # Sleeping less than the server asked would only earn another 429, so a Retry-After above
            # the cap is not slept at all: the error goes up and the caller reschedules.
            return exc.retry_after_s if exc.retry_after_s <= self.retry_after_cap_s else None
        return self.backoff_s(attempt, rng)

    def run(
        self,
        attempt_fn: Callable[[int], T],
        *,
        may_retry: bool,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random,
        on_retry: Callable[[LayersError, int, float], None] | None = None,
    ) -> T:
        """Call `attempt_fn(attempt)` until it returns, retrying only when allowed, in attempts and in time."""
        started = clock()
        attempt = 1
        while True:
            try:
                return attempt_fn(attempt)
            except LayersError as exc:
                delay = self.delay_after(exc, attempt, rng) if may_retry else None
                if delay is None or attempt >= self.max_attempts:
                    raise
                if clock() - started + delay > self.deadline_s:
                    raise
                if on_retry is not None:
                    on_retry(exc, attempt, delay)
                sleep(delay)
                attempt += 1


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
