"""Client-side quota for the Layers API, shared by every worker process.

Layers gives each API key one bucket per endpoint class (read-light, write-light, long-running). All
our workers spend the same buckets, so the limiter lives in Redis: GCRA (a token bucket stored as one
"theoretical arrival time" per bucket), updated atomically by a Lua script. A caller that would have to
wait longer than `max_wait_s` (a short wait) gets QuotaExhausted and goes back to the queue instead of
holding a worker thread.

A server 429 pushes the class's bucket so that nothing goes before the Retry-After has passed.

Job polls get a reserved share of read-light (`JOB_POLL_READ_SHARE`), still inside the key's one bucket
(`QuotaRates.plan`): a run's read must leave `reserve` tokens in the key's bucket and a job poll may take
them; polls go within their share (a bucket of their own), or borrow what would not hold back a run's
start. So a burst of runs can never take the polls' share, the polls cannot crowd out the runs, and either
uses what the other leaves idle. A run's first read is its admission: it goes only while there is room for
about a run's reads beyond the reserve, so a run that starts can do its reads without being sent back
mid-way; a run refused admission gets a turn, spaced so that refused runs come back one after another.
The GCRA itself is `agent.layers.gcra`.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import redis

from agent.config import Settings
from agent.layers.errors import QuotaExhausted
from agent.layers.gcra import (
    ACQUIRE_LUA,
    BACK_OFF_LUA,
    Bucket,
    Plan,
    acquire_args,
    blocked_tat,
    conform,
    ticket,
)
from agent.layers.routes import EndpointClass

BURST_DIVISOR = 10  # up to a tenth of a minute's quota may go at once
KEY_PREFIX = "layers:quota"
LIMITER_DOWN_RETRY_S = 5.0  # when Redis cannot be asked, fail closed and retry after this long
READS_PER_RUN = 5  # about what one run reads (publish-to-learn 2-3, optimization 4-6): its room to start
ADMISSION_SHARE = 0.5  # ...but never more than this share of the runs' part of the burst (a small tier)


class Lane(StrEnum):
    """Who is calling: job polls have a reserved share of read-light; everyone else shares the rest."""

    RUNS = "runs"
    JOB_POLLS = "job-polls"


@dataclass
class _Caller:
    lane: Lane
    admitting: bool = False  # the next read is a run's first: it needs room for the run's reads


_CALLER: ContextVar[_Caller | None] = ContextVar("layers_quota_caller", default=None)


@contextmanager
def job_polls() -> Iterator[None]:
    """Calls made inside are job polls (and their follow-up reads): they spend the reserved share."""
    token = _CALLER.set(_Caller(Lane.JOB_POLLS))
    try:
        yield
    finally:
        _CALLER.reset(token)


@contextmanager
def run_reads() -> Iterator[None]:
    """A run's reads: the first one is admitted only while there is room for the run to finish."""
    token = _CALLER.set(_Caller(Lane.RUNS, admitting=True))
    try:
        yield
    finally:
        _CALLER.reset(token)


class RateLimiter(Protocol):
    """What the client needs from a limiter."""

    def acquire(self, endpoint_class: EndpointClass) -> None:
        """Return once a request of this class may be sent; raise QuotaExhausted if that is too far off."""

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        """The server answered 429: send nothing of this class for `seconds`."""


@dataclass(frozen=True)
class QuotaRates:
    """Requests per minute for each endpoint class, and the share of read-light reserved for job polls."""

    per_minute: Mapping[EndpointClass, int]
    job_poll_share: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> QuotaRates:
        return cls(
            {
                EndpointClass.READ_LIGHT: settings.rate_read_per_min,
                EndpointClass.WRITE_LIGHT: settings.rate_write_per_min,
                EndpointClass.LONG_RUNNING: settings.rate_long_running_per_min,
            },
            job_poll_share=settings.job_poll_read_share,
        )

    def interval_s(self, endpoint_class: EndpointClass) -> float:
        return 60.0 / self.per_minute[endpoint_class]

    def burst(self, endpoint_class: EndpointClass) -> int:
        return max(1, self.per_minute[endpoint_class] // BURST_DIVISOR)

    def job_polls_per_min(self) -> float:
        """The polls' guaranteed (and maximum) rate."""
        return self.per_minute[EndpointClass.READ_LIGHT] * self.job_poll_share

    def reserve(self) -> int:
        """Read-light tokens a run must leave in the bucket for job polls (the polls' own burst)."""
        if self.job_poll_share <= 0:
            return 0
        polls_burst = max(1, int(self.job_polls_per_min()) // BURST_DIVISOR)
        return min(polls_burst, self.burst(EndpointClass.READ_LIGHT) - 1)

    def plan(self, endpoint_class: EndpointClass, lane: Lane, *, admitting: bool) -> Plan:
        """The buckets one request goes through.

        A job poll goes within its share (the key's bucket and the polls' own), or borrows what would not
        hold back a run's start (the key's bucket above the admission level). Anything else leaves the
        polls' reserve in the key's bucket; a run's first read also needs room for the rest of its reads.
        """
        interval, burst = self.interval_s(endpoint_class), self.burst(endpoint_class)
        name = endpoint_class.value
        if endpoint_class is not EndpointClass.READ_LIGHT:
            return Plan(((Bucket(name, interval, burst),),))
        reserve = self.reserve()
        room = min(READS_PER_RUN, int((burst - reserve) * ADMISSION_SHARE))
        admission = Bucket(name, interval, burst, headroom=reserve + room)
        if lane is Lane.JOB_POLLS:
            if reserve == 0:
                return Plan(((Bucket(name, interval, burst),),))
            share = Bucket(f"{name}:{lane.value}", 60.0 / self.job_polls_per_min(), reserve)
            return Plan(((Bucket(name, interval, burst), share), (admission,)))
        if not admitting:
            return Plan(((Bucket(name, interval, burst, headroom=reserve),),))
        return Plan(((admission,),), ticket_spacing_s=max(1, room) * interval)


def key_namespace(settings: Settings) -> str:
    """Buckets are per API key at Layers, so ours are too: a short hash, never the key itself."""
    if settings.layers_api_key is None:
        return "default"
    return hashlib.sha256(settings.layers_api_key.get_secret_value().encode()).hexdigest()[:16]


def _caller_plan(rates: QuotaRates, endpoint_class: EndpointClass) -> tuple[Plan, _Caller | None]:
    caller = _CALLER.get()
    lane = caller.lane if caller is not None else Lane.RUNS
    admitting = caller is not None and caller.admitting and endpoint_class is EndpointClass.READ_LIGHT
    return rates.plan(endpoint_class, lane, admitting=admitting), caller if admitting else None


def _refused(endpoint_class: EndpointClass, wait: float, plan: Plan) -> QuotaExhausted:
    if plan.ticket_spacing_s:
        return QuotaExhausted(
            endpoint_class.value, wait, reason=f"no room for a run's reads; its turn is in {wait:.1f}s"
        )
    return QuotaExhausted(endpoint_class.value, wait)


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

    def _key(self, name: str) -> str:
        return f"{KEY_PREFIX}:{self._namespace}:{name}"

    def _now_arg(self) -> str:
        return "" if self._clock is None else repr(self._clock())

    def acquire(self, endpoint_class: EndpointClass) -> None:
        plan, admitted = _caller_plan(self._rates, endpoint_class)
        keys = [self._key(name) for name in plan.names] + [self._key(f"{endpoint_class.value}:tickets")]
        args = [self._now_arg(), *acquire_args(plan, self._max_wait_s)]
        try:
            granted, wait = self._acquire(keys=keys, args=args)
        except redis.RedisError as exc:
            raise QuotaExhausted(
                endpoint_class.value,
                LIMITER_DOWN_RETRY_S,
                reason=f"limiter unavailable ({type(exc).__name__})",
            ) from exc
        wait_s = float(wait)
        if not int(granted):
            raise _refused(endpoint_class, wait_s, plan)
        if admitted is not None:
            admitted.admitting = False
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
            self._back_off(keys=[self._key(endpoint_class.value)], args=args)
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
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> InMemoryRateLimiter:
        return cls(rates=QuotaRates.from_settings(settings), max_wait_s=settings.quota_max_wait_s)

    def acquire(self, endpoint_class: EndpointClass) -> None:
        plan, admitted = _caller_plan(self._rates, endpoint_class)
        tickets = f"{endpoint_class.value}:tickets"
        with self._lock:
            now = self._clock()
            granted, wait, new_tats = conform(self._tat, now, plan, self._max_wait_s)
            self._tat.update(new_tats)
            if not granted and plan.ticket_spacing_s:
                self._tat[tickets] = ticket(self._tat.get(tickets), now, wait, plan.ticket_spacing_s)
                wait = self._tat[tickets] - now
        if not granted:
            raise _refused(endpoint_class, wait, plan)
        if admitted is not None:
            admitted.admitting = False
        if wait > 0:
            self._sleep(wait)

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        interval, burst = self._rates.interval_s(endpoint_class), self._rates.burst(endpoint_class)
        with self._lock:
            now = self._clock()
            block = blocked_tat(now, max(0.0, seconds), interval, burst)
            self._tat[endpoint_class.value] = max(self._tat.get(endpoint_class.value, -math.inf), block)


class NoopRateLimiter:
    """No client-side quota (tests, one-off scripts): the server's 429s are the only limit."""

    def acquire(self, endpoint_class: EndpointClass) -> None:
        return None

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        return None
