"""Client-side quota for the Layers API, shared by every worker process.

Layers gives each API key one bucket per endpoint class (read-light, write-light, long-running). All
our workers spend the same buckets, so the limiter lives in Redis: GCRA (a token bucket stored as one
"theoretical arrival time" per class), updated atomically by a Lua script. A caller that would have to
wait longer than `max_wait_s` gets QuotaExhausted and reschedules instead of holding a worker.

GCRA with emission interval T = 60 / rate and burst B: a request at `now` may go at
`max(tat, now) + T - B*T`; going advances `tat` by T. A server 429 pushes `tat` so that nothing goes
before the Retry-After has passed.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import redis

from agent.config import Settings
from agent.layers.errors import QuotaExhausted
from agent.layers.routes import EndpointClass

BURST_DIVISOR = 10  # up to a tenth of a minute's quota may go at once
KEY_PREFIX = "layers:quota"
LIMITER_DOWN_RETRY_S = 5.0  # when Redis cannot be asked, fail closed and retry after this long


class RateLimiter(Protocol):
    """What the client needs from a limiter."""

    def acquire(self, endpoint_class: EndpointClass) -> None:
        """Return once a request of this class may be sent; raise QuotaExhausted if that is too far off."""

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        """The server answered 429: send nothing of this class for `seconds`."""


@dataclass(frozen=True)
class QuotaRates:
    """Requests per minute for each endpoint class."""

    per_minute: Mapping[EndpointClass, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> QuotaRates:
        return cls(
            {
                EndpointClass.READ_LIGHT: settings.rate_read_per_min,
                EndpointClass.WRITE_LIGHT: settings.rate_write_per_min,
                EndpointClass.LONG_RUNNING: settings.rate_long_running_per_min,
            }
        )

    def interval_s(self, endpoint_class: EndpointClass) -> float:
        return 60.0 / self.per_minute[endpoint_class]

    def burst(self, endpoint_class: EndpointClass) -> int:
        return max(1, self.per_minute[endpoint_class] // BURST_DIVISOR)


def key_namespace(settings: Settings) -> str:
    """Buckets are per API key at Layers, so ours are too: a short hash, never the key itself."""
    if settings.layers_api_key is None:
        return "default"
    return hashlib.sha256(settings.layers_api_key.get_secret_value().encode()).hexdigest()[:16]


def gcra_step(
    tat: float, now: float, interval: float, burst: int, max_wait: float
) -> tuple[bool, float, float]:
    """One GCRA decision: (granted, wait seconds, new tat). Mirrors ACQUIRE_LUA exactly."""
    new_tat = max(tat, now) + interval
    wait = max(0.0, new_tat - burst * interval - now)
    if wait > max_wait:
        return False, wait, tat
    return True, wait, new_tat


def blocked_tat(now: float, seconds: float, interval: float, burst: int) -> float:
    """The tat that lets the next request go exactly `seconds` from now. Mirrors BACK_OFF_LUA."""
    return now + seconds + (burst - 1) * interval


# ARGV[1] = now in seconds, or "" to use the Redis server's clock (one clock for every worker).
_NOW_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""
ACQUIRE_LUA = (
    _NOW_LUA
    + """
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - burst * interval - now
if wait < 0 then wait = 0 end
if wait > max_wait then return {0, tostring(wait)} end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return {1, tostring(wait)}
"""
)
BACK_OFF_LUA = (
    _NOW_LUA
    + """
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local block_tat = now + tonumber(ARGV[4]) + (burst - 1) * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
if block_tat > tat then
  redis.call('SET', KEYS[1], tostring(block_tat), 'PX', math.ceil((block_tat - now) * 1000) + 1000)
end
return 1
"""
)


class RedisRateLimiter:
    """The fleet-wide limiter: every process using the same Redis and namespace shares the buckets."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        rates: QuotaRates,
        max_wait_s: float,
        namespace: str = "default",
        sleep: Callable[[float], None] = time.sleep,  # noqa: TID251 - a short, bounded wait (<= max_wait_s) for a token
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._rates = rates
        self._max_wait_s = max_wait_s
        self._namespace = namespace
        self._sleep = sleep
        self._clock = clock  # None = the Redis server's clock
        self._acquire = client.register_script(ACQUIRE_LUA)
        self._back_off = client.register_script(BACK_OFF_LUA)

    @classmethod
    def from_settings(cls, settings: Settings, *, client: redis.Redis | None = None) -> RedisRateLimiter:
        if client is None:
            if not settings.redis_url:
                raise ValueError("RedisRateLimiter needs REDIS_URL")
            client = redis.Redis.from_url(settings.redis_url)
        return cls(
            client,
            rates=QuotaRates.from_settings(settings),
            max_wait_s=settings.quota_max_wait_s,
            namespace=key_namespace(settings),
        )

    def _key(self, endpoint_class: EndpointClass) -> str:
        return f"{KEY_PREFIX}:{self._namespace}:{endpoint_class.value}"

    def _now_arg(self) -> str:
        return "" if self._clock is None else repr(self._clock())

    def acquire(self, endpoint_class: EndpointClass) -> None:
        args: list[str | float] = [
            self._now_arg(),
            repr(self._rates.interval_s(endpoint_class)),
            self._rates.burst(endpoint_class),
            repr(self._max_wait_s),
        ]
        try:
            granted, wait = self._acquire(keys=[self._key(endpoint_class)], args=args)
        except redis.RedisError as exc:
            raise QuotaExhausted(
                endpoint_class.value,
                LIMITER_DOWN_RETRY_S,
                reason=f"limiter unavailable ({type(exc).__name__})",
            ) from exc
        wait_s = float(wait)
        if not int(granted):
            raise QuotaExhausted(endpoint_class.value, wait_s)
        if wait_s > 0:
            self._sleep(wait_s)

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        args: list[str | float] = [
            self._now_arg(),
            repr(self._rates.interval_s(endpoint_class)),
            self._rates.burst(endpoint_class),
            repr(max(0.0, seconds)),
        ]
        try:
            self._back_off(keys=[self._key(endpoint_class)], args=args)
        except redis.RedisError:
            return  # best effort: the client still honours Retry-After itself


class InMemoryRateLimiter:
    """The same GCRA for one process (embedded/demo mode without Redis); thread-safe."""

    def __init__(
        self,
        *,
        rates: QuotaRates,
        max_wait_s: float,
        sleep: Callable[[float], None] = time.sleep,  # noqa: TID251 - a short, bounded wait (<= max_wait_s) for a token
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rates = rates
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock
        self._tat: dict[EndpointClass, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> InMemoryRateLimiter:
        return cls(rates=QuotaRates.from_settings(settings), max_wait_s=settings.quota_max_wait_s)

    def acquire(self, endpoint_class: EndpointClass) -> None:
        interval, burst = self._rates.interval_s(endpoint_class), self._rates.burst(endpoint_class)
        with self._lock:
            now = self._clock()
            granted, wait, tat = gcra_step(
                self._tat.get(endpoint_class, now), now, interval, burst, self._max_wait_s
            )
            self._tat[endpoint_class] = tat
        if not granted:
            raise QuotaExhausted(endpoint_class.value, wait)
        if wait > 0:
            self._sleep(wait)

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        interval, burst = self._rates.interval_s(endpoint_class), self._rates.burst(endpoint_class)
        with self._lock:
            now = self._clock()
            block = blocked_tat(now, max(0.0, seconds), interval, burst)
            self._tat[endpoint_class] = max(self._tat.get(endpoint_class, -math.inf), block)


class NoopRateLimiter:
    """No client-side quota (tests, one-off scripts): the server's 429s are the only limit."""

    def acquire(self, endpoint_class: EndpointClass) -> None:
        return None

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        return None
