"""The shared quota limiter: per-class GCRA, shared through Redis, honest about when it gives up."""

from __future__ import annotations

import os
import uuid

import fakeredis
import pytest
import redis

from agent.config import Settings
from agent.layers import InMemoryRateLimiter, NoopRateLimiter, RedisRateLimiter, errors
from agent.layers.gcra import gcra_step
from agent.layers.quota import QuotaRates, job_polls, key_namespace, run_reads
from agent.layers.routes import EndpointClass

from .conftest import API_KEY, FakeClock, Script, reply

READ, WRITE, LONG = EndpointClass.READ_LIGHT, EndpointClass.WRITE_LIGHT, EndpointClass.LONG_RUNNING
RATES = QuotaRates({READ: 120, WRITE: 60, LONG: 20})  # bursts 12 / 6 / 2; intervals 0.5 / 1 / 3 s
# A quarter of read-light for job polls: 30 a minute (one every 2 s), a burst of 3 that runs must leave.
SHARED = QuotaRates({READ: 120, WRITE: 60, LONG: 20}, job_poll_share=0.25)


def _lua_capable_redis() -> redis.Redis | None:
    """fakeredis when it can run Lua (needs `lupa`), else the suite's Redis (scripts/services), else None."""
    fake = fakeredis.FakeRedis()
    try:
        fake.eval("return 1", 0)
        return fake
    except redis.ResponseError:
        fake.close()
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return None
    real = redis.Redis.from_url(url)
    real.ping()
    return real


@pytest.fixture
def redis_client():
    client = _lua_capable_redis()
    if client is None:
        pytest.skip("Lua limiter tests need fakeredis with lupa, or TEST_REDIS_URL (scripts/services)")
    yield client
    client.close()


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request, clock: FakeClock):
    """Build a limiter of the parametrised kind on the fake clock; all Redis ones share one namespace."""
    namespace = f"test-{uuid.uuid4().hex}"
    client = request.getfixturevalue("redis_client") if request.param == "redis" else None

    def build(max_wait_s: float = 0.0, rates: QuotaRates = RATES):
        if client is None:
            return InMemoryRateLimiter(rates=rates, max_wait_s=max_wait_s, sleep=clock.sleep, clock=clock)
        return RedisRateLimiter(
            client, rates=rates, max_wait_s=max_wait_s, namespace=namespace, sleep=clock.sleep, clock=clock
        )

    build.kind = request.param
    return build


def test_rates_and_bursts_come_from_settings():
    rates = QuotaRates.from_settings(
        Settings(rate_read_per_min=600, rate_write_per_min=5, rate_long_running_per_min=20)
    )
    assert (rates.interval_s(READ), rates.burst(READ)) == (0.1, 60)
    assert (rates.interval_s(WRITE), rates.burst(WRITE)) == (12.0, 1)
    assert (rates.interval_s(LONG), rates.burst(LONG)) == (3.0, 2)


def test_a_burst_then_quota_exhausted_with_the_time_to_the_next_token(make_limiter, clock):
    limiter = make_limiter()
    for _ in range(12):
        limiter.acquire(READ)
    with pytest.raises(errors.QuotaExhausted) as caught:
        limiter.acquire(READ)
    assert caught.value.endpoint_class == "read-light"
    assert caught.value.retry_after_s == pytest.approx(0.5)
    assert clock.sleeps == []


def test_classes_are_independent_buckets(make_limiter):
    limiter = make_limiter()
    for _ in range(2):
        limiter.acquire(LONG)
    with pytest.raises(errors.QuotaExhausted):
        limiter.acquire(LONG)
    for _ in range(12):
        limiter.acquire(READ)
    for _ in range(6):
        limiter.acquire(WRITE)


def test_tokens_come_back_at_the_configured_rate(make_limiter, clock):
    limiter = make_limiter()
    for _ in range(2):
        limiter.acquire(LONG)
    clock.now += 2.9
    with pytest.raises(errors.QuotaExhausted) as caught:
        limiter.acquire(LONG)
    assert caught.value.retry_after_s == pytest.approx(0.1)
    clock.now += 0.1
    limiter.acquire(LONG)
    with pytest.raises(errors.QuotaExhausted):
        limiter.acquire(LONG)


def test_a_short_wait_is_slept_and_the_slot_reserved(make_limiter, clock):
    limiter = make_limiter(max_wait_s=5.0)
    for _ in range(2):
        limiter.acquire(LONG)
    limiter.acquire(LONG)  # next slot is 3 s away: within the 5 s budget, so it waits
    assert clock.sleeps == [pytest.approx(3.0)]
    clock.now -= 3.0  # as if a second worker asks while the first is still sleeping
    with pytest.raises(errors.QuotaExhausted) as caught:  # the first one's slot is taken: 6 s away
        limiter.acquire(LONG)
    assert caught.value.retry_after_s == pytest.approx(6.0)


def test_a_server_429_blocks_the_class_for_its_retry_after(make_limiter, clock):
    limiter = make_limiter(max_wait_s=0.5)
    limiter.back_off(WRITE, 10.0)
    with pytest.raises(errors.QuotaExhausted) as caught:
        limiter.acquire(WRITE)
    assert caught.value.retry_after_s == pytest.approx(10.0)
    limiter.acquire(READ)  # other classes untouched
    clock.now += 10.0
    limiter.acquire(WRITE)
    with pytest.raises(errors.QuotaExhausted):  # after a 429 the bucket restarts empty, not full
        limiter.acquire(WRITE)


def test_a_shorter_back_off_never_shortens_a_longer_one(make_limiter):
    limiter = make_limiter()
    limiter.back_off(READ, 30.0)
    limiter.back_off(READ, 1.0)
    with pytest.raises(errors.QuotaExhausted) as caught:
        limiter.acquire(READ)
    assert caught.value.retry_after_s == pytest.approx(30.0)


def test_two_limiters_on_one_redis_share_the_buckets(redis_client, clock):
    namespace = f"test-{uuid.uuid4().hex}"

    def worker():
        return RedisRateLimiter(redis_client, rates=RATES, max_wait_s=0, namespace=namespace, clock=clock)

    first, second = worker(), worker()
    for limiter in (first, second):
        limiter.acquire(LONG)
    with pytest.raises(errors.QuotaExhausted):
        second.acquire(LONG)
    with pytest.raises(errors.QuotaExhausted):
        first.acquire(LONG)
    first.back_off(READ, 5.0)
    with pytest.raises(errors.QuotaExhausted):
        second.acquire(READ)
    other_key = RedisRateLimiter(
        redis_client, rates=RATES, max_wait_s=0, namespace=f"{namespace}-b", clock=clock
    )
    other_key.acquire(LONG)


def test_the_redis_server_clock_is_used_when_none_is_injected(redis_client):
    limiter = RedisRateLimiter(redis_client, rates=RATES, max_wait_s=0, namespace=f"test-{uuid.uuid4().hex}")
    for _ in range(12):
        limiter.acquire(READ)
    with pytest.raises(errors.QuotaExhausted) as caught:
        limiter.acquire(READ)
    assert 0 < caught.value.retry_after_s <= 0.5


def test_an_unreachable_redis_fails_closed_as_quota_exhausted():
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    limiter = RedisRateLimiter(unreachable, rates=RATES, max_wait_s=0)
    with pytest.raises(errors.QuotaExhausted, match="limiter unavailable"):
        limiter.acquire(READ)
    limiter.back_off(READ, 1.0)  # best effort, never raises


def test_the_namespace_is_a_hash_of_the_key_never_the_key():
    namespace = key_namespace(Settings(layers_api_key=API_KEY))
    assert "SENTINEL" not in namespace
    assert len(namespace) == 16
    assert key_namespace(Settings(layers_api_key=None)) == "default"


def test_gcra_step_denies_without_reserving():
    granted, wait, tat = gcra_step(tat=110.0, now=100.0, interval=1.0, burst=2, max_wait=0.5)
    assert (granted, wait, tat) == (False, 9.0, 110.0)


def test_noop_limiter_never_limits():
    limiter = NoopRateLimiter()
    limiter.back_off(READ, 100)
    for _ in range(1000):
        limiter.acquire(READ)


def test_the_client_checks_quota_before_sending(make_client, clock):
    limiter = InMemoryRateLimiter(rates=RATES, max_wait_s=0, sleep=clock.sleep, clock=clock)
    script = Script([reply(202, {"jobId": "job_1"})])
    client = make_client(script, limiter=limiter)
    for n in range(2):
        client.clone_from_post(
            f"cnt_{n}", project_id="p", source_platform_post_id="pp", idempotency_key=f"k{n}"
        )
    with pytest.raises(errors.QuotaExhausted):
        client.clone_from_post("cnt_3", project_id="p", source_platform_post_id="pp", idempotency_key="k3")
    assert len(script.requests) == 2


# ---- the job polls' reserved share (issue 11) and run admission (issue 12) ---------------------------


def reads_granted(limiter, n: int) -> int:
    """How many of `n` read-light requests go now (a refusal reserves nothing)."""
    granted = 0
    for _ in range(n):
        try:
            limiter.acquire(READ)
        except errors.QuotaExhausted:
            continue
        granted += 1
    return granted


def test_the_share_and_the_reserve_come_from_settings():
    rates = QuotaRates.from_settings(Settings(rate_read_per_min=600, job_poll_read_share=0.2))
    assert (rates.job_polls_per_min(), rates.reserve()) == (120, 12)
    assert QuotaRates.from_settings(Settings(job_poll_read_share=0)).reserve() == 0
    assert QuotaRates({READ: 10, WRITE: 1, LONG: 1}, job_poll_share=0.5).reserve() == 0  # a burst of 1


def test_a_burst_of_run_reads_cannot_take_the_job_polls_share(make_limiter, clock):
    limiter = make_limiter(rates=SHARED)
    assert reads_granted(limiter, 100) == 12 - 3  # runs stop at the polls' reserve
    with job_polls():
        assert reads_granted(limiter, 3) == 3  # the reserve is there for the polls at once
    clock.now += 2.0  # one poll interval: the key's bucket refilled 4 tokens, the polls' own bucket 1
    with job_polls():
        assert reads_granted(limiter, 5) == 1
    assert reads_granted(limiter, 100) == 0  # runs still leave the reserve, even when it is short


def test_over_a_minute_polls_get_their_share_while_runs_take_the_rest(make_limiter, clock):
    limiter = make_limiter(rates=SHARED)
    runs = polls = 0
    for _ in range(240):  # one minute in 0.25 s steps, runs always wanting more
        clock.now += 0.25
        with job_polls():
            polls += reads_granted(limiter, 1)
        runs += reads_granted(limiter, 2)
    assert polls >= 30  # the share: a quarter of 120 a minute, plus the polls' burst
    assert polls + runs <= 120 + 12  # one quota for the key: the rate plus its burst
    assert runs >= 120 - 30 - 3


def test_runs_use_the_share_the_polls_leave_idle(make_limiter, clock):
    limiter = make_limiter(rates=SHARED)
    runs = 0
    for _ in range(240):
        clock.now += 0.25
        runs += reads_granted(limiter, 2)
    assert runs >= 118  # the whole read rate (less the reserve kept full), not three quarters of it


def test_polls_alone_use_the_whole_rate(make_limiter, clock):
    limiter = make_limiter(rates=SHARED)
    polls = 0
    with job_polls():
        for _ in range(240):
            clock.now += 0.25
            polls += reads_granted(limiter, 2)
    assert 118 <= polls <= 120 + 12


def test_polls_cannot_crowd_out_the_runs(make_limiter, clock):
    """Polls beyond their share only borrow while the key's bucket is nearly full, which busy runs never
    leave it."""
    limiter = make_limiter(rates=SHARED)
    runs = polls = 0
    for _ in range(240):
        clock.now += 0.25
        with job_polls():
            polls += reads_granted(limiter, 3)
        runs += reads_granted(limiter, 2)
    assert polls <= 30 + 3 + 9  # the share and its burst (and the first, borrowed, burst)
    assert runs >= 120 - 30 - 12


def test_a_runs_first_read_waits_for_room_for_its_reads_and_refused_runs_take_turns(make_limiter, clock):
    limiter = make_limiter(max_wait_s=1.0, rates=SHARED)
    assert reads_granted(limiter, 8) == 8  # 4 left: a run needs the reserve (3) + half the rest (4) + 1
    with run_reads(), pytest.raises(errors.QuotaExhausted) as first:
        limiter.acquire(READ)  # room in 2 s, more than the short wait
    with run_reads(), pytest.raises(errors.QuotaExhausted) as second:
        limiter.acquire(READ)
    assert "its turn is in" in str(first.value)
    assert first.value.retry_after_s == pytest.approx(2.0 + 4 * 0.5)  # the room, then its turn
    assert second.value.retry_after_s == pytest.approx(first.value.retry_after_s + 4 * 0.5)  # the next turn
    limiter.acquire(READ)  # a read that is not a run's first (a run already going) is not held back
    assert clock.sleeps == []


def test_an_admitted_run_reads_on_without_being_held_back(make_limiter, clock):
    limiter = make_limiter(rates=SHARED)
    with run_reads():
        assert reads_granted(limiter, 9) == 9  # admitted with 12 free; its later reads only leave the reserve
    with job_polls():
        assert reads_granted(limiter, 3) == 3
