"""Job polls keep their reserved share of read-light on the real limiter (Lua on the test Redis, the Redis
server's clock, real threads): sixteen threads of runs asking for reads as fast as they can never delay a
poll past its share's interval; without the share the same burst does."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis

from agent.layers import errors
from agent.layers.quota import QuotaRates, RedisRateLimiter, job_polls
from agent.layers.routes import EndpointClass

READ = EndpointClass.READ_LIGHT
RATE = 600  # read-light per minute: 10 a second, a burst of 60
SHARE = 0.2  # 120 polls a minute: one every 0.5 s
RUN_THREADS = 16
SECONDS = 10.0
MAX_WAIT_S = 1.0


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with scripts/test (it starts Redis)")
    client = redis.Redis.from_url(url)
    yield client
    client.close()


@dataclass
class Tally:
    runs: int = 0
    poll_waits: list[float] = field(default_factory=list)
    polls_refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def burst(client: redis.Redis, share: float) -> Tally:
    rates = QuotaRates({READ: RATE, EndpointClass.WRITE_LIGHT: 60, EndpointClass.LONG_RUNNING: 20}, share)
    limiter = RedisRateLimiter(
        client, rates=rates, max_wait_s=MAX_WAIT_S, namespace=f"share-{uuid.uuid4().hex}"
    )
    tally, stop = Tally(), threading.Event()

    def run_reads() -> None:
        while not stop.is_set():
            try:
                limiter.acquire(READ)
            except errors.QuotaExhausted:
                time.sleep(0.005)
                continue
            with tally.lock:
                tally.runs += 1

    def polls() -> None:
        interval = 60.0 / (RATE * SHARE)
        while not stop.is_set():
            asked = time.monotonic()
            try:
                with job_polls():
                    limiter.acquire(READ)
                tally.poll_waits.append(time.monotonic() - asked)
            except errors.QuotaExhausted:
                tally.polls_refused += 1
            stop.wait(max(0.0, interval - (time.monotonic() - asked)))

    threads = [threading.Thread(target=run_reads) for _ in range(RUN_THREADS)]
    threads.append(threading.Thread(target=polls))
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    return tally


def test_a_burst_of_run_reads_never_delays_a_poll_past_its_share(redis_client):
    tally = burst(redis_client, SHARE)
    polls = len(tally.poll_waits)
    print(
        f"\nshare {SHARE}: {polls} polls, none refused: {tally.polls_refused == 0}, longest wait "
        f"{max(tally.poll_waits):.3f}s; runs got {tally.runs} reads in {SECONDS:.0f}s "
        f"({tally.runs / SECONDS:.1f}/s of {RATE / 60:.0f}/s)"
    )
    assert tally.polls_refused == 0
    assert polls >= SECONDS * RATE * SHARE / 60 * 0.9
    assert max(tally.poll_waits) <= 60.0 / (RATE * SHARE)  # never later than the share's own interval
    assert tally.runs >= (RATE / 60 * (1 - SHARE)) * SECONDS * 0.9  # the runs still get the rest
    assert tally.runs + polls <= RATE / 60 * SECONDS + RATE // 10 + 1  # one quota for the key


def test_control_without_a_share_the_same_burst_delays_or_refuses_polls(redis_client):
    tally = burst(redis_client, 0.0)
    late = [w for w in tally.poll_waits if w > 60.0 / (RATE * SHARE)]
    print(f"\nno share: {len(tally.poll_waits)} polls, {tally.polls_refused} refused, {len(late)} late")
    assert tally.polls_refused + len(late) > 0
