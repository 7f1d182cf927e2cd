"""Exploration (temporary)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
import redis
from sqlalchemy import select, update

from agent.sandbox import RateLimitTier, Sandbox, parse_scenario
from agent.store.models import Customer, Run
from tests.integration.e2e.conftest import wait_until

SPEED = 10
TIER = RateLimitTier("burst", read_light=90, write_light=60, long_running=16, daily_write=None, concurrent_jobs=None)
LIGHT = 20
HEAVY = 2
HEAVY_POSTS = 250


class FastClock:
    def __init__(self, speed: float) -> None:
        self._speed = speed
        self._origin = datetime.now(UTC)
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self._origin + timedelta(seconds=(time.monotonic() - self._started) * self._speed)


def fleet_rate(per_window: int) -> int:
    rate = 1
    while (rate + 1) // 10 + (rate + 1) / SPEED <= per_window * 0.9:
        rate += 1
    return max(1, rate)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def _private_redis() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        wait_until(lambda: _ping(client), timeout=10, interval=0.05, what="private redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def _ping(client):
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.fixture
def redis_url(_private_redis) -> Iterator[str]:
    client = redis.Redis.from_url(_private_redis)
    client.flushdb()
    yield _private_redis
    client.flushdb()
    client.close()


def _id(prefix, k, j=0):
    return f"{prefix}_{k:08d}-{j:04d}-4000-8000-000000000000"


def project(k, n_posts, name):
    posts = [
        {
            "platformPostId": _id("pp", k, j),
            "title": f"post {j}",
            "views": 1000 + 10 * j,
            "engagementRate": 0.02 + 0.00001 * j,
            "ageDays": 1 + j % 5,
        }
        for j in range(1, n_posts + 1)
    ]
    posts.append(
        {"platformPostId": _id("pp", k, 9999), "title": "breakout", "views": 20000, "engagementRate": 0.09, "ageDays": 2}
    )
    return {"id": _id("prj", k), "name": name, "timezone": "UTC", "posts": posts}


def scenario():
    projects = [project(k, HEAVY_POSTS, f"Heavy {k}") for k in range(1, HEAVY + 1)]
    projects += [project(k, 6, f"Light {k}") for k in range(HEAVY + 1, HEAVY + LIGHT + 1)]
    return parse_scenario({"projects": projects, "jobs": {"defaultDurationSeconds": 2}})


@pytest.fixture
def e2e_sandbox() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(scenario(), rate_limits=TIER, clock=FastClock(SPEED))
    with sandbox.serve() as server:
        yield sandbox, server.base_url


def test_explore(stack):
    with stack.db.session() as session:
        session.execute(update(Customer).values(run_at=clock(0, 0)))
    weekday = (datetime.now(UTC) + timedelta(days=3)).strftime("%A").lower()
    env = {
        "RUN_STALE_AFTER_S": "300",
        "RATE_READ_PER_MIN": str(fleet_rate(TIER.read_light)),
        "RATE_WRITE_PER_MIN": str(fleet_rate(TIER.write_light)),
        "RATE_LONG_RUNNING_PER_MIN": str(fleet_rate(TIER.long_running)),
        "QUOTA_MAX_WAIT_S": "1",
        "WEEKLY_REVIEW_WEEKDAY": weekday,
    }
    print(env)
    t0 = time.monotonic()
    stack.worker(**env)
    stack.worker(**env)
    stack.beat(**env)
    n = HEAVY + LIGHT

    def done():
        with stack.db.session() as session:
            runs = list(session.scalars(select(Run)))
        return len(runs) == 2 * n and all(r.status in ("succeeded", "failed") for r in runs)

    wait_until(done, timeout=120, interval=0.5, what=stack.logs())
    print("duration", time.monotonic() - t0)
    print(stack.sandbox.pipeline.answered())
    c = Counter()
    for line in stack.full_logs().splitlines():
        if '"layers.call"' in line:
            d = json.loads(line)
            c[(d["method"], d["route"], d["status"])] += 1
        if "run_deferred" in line:
            c["deferred"] += 1
            c[("def", json.loads(line)["run_id"])] += 1
    for k, v in sorted(c.items(), key=str):
        print(k, v)
    with stack.db.session() as session:
        runs = list(session.scalars(select(Run).order_by(Run.id)))
        base = min(r.created_at for r in runs)
        for r in runs:
            print(
                r.id, r.customer_id, r.loop, r.status, r.attempts,
                round((r.created_at - base).total_seconds(), 2),
                round((r.started_at - base).total_seconds(), 2),
                round((r.finished_at - base).total_seconds(), 2),
                c[("def", r.id)],
            )
