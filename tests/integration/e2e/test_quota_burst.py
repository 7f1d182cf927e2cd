"""Exploration (temporary)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
import redis
from sqlalchemy import select, update

from agent.sandbox import RateLimitTier, Sandbox, parse_scenario
from agent.store.models import Customer, Run
from tests.integration.e2e.conftest import wait_until

CUSTOMERS = 30


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


def scenario(n):
    projects = []
    for k in range(1, n + 1):
        posts = [
            {
                "platformPostId": _id("pp", k, j),
                "title": f"post {j}",
                "views": 1000 + 100 * j,
                "engagementRate": 0.02 + 0.001 * j,
                "ageDays": 1 + j % 5,
            }
            for j in range(1, 7)
        ]
        posts.append(
            {"platformPostId": _id("pp", k, 99), "title": "breakout", "views": 20000, "engagementRate": 0.09, "ageDays": 2}
        )
        projects.append({"id": _id("prj", k), "name": f"Burst customer {k:02d}", "timezone": "UTC", "posts": posts})
    return parse_scenario({"projects": projects, "jobs": {"defaultDurationSeconds": 2}})


@pytest.fixture
def e2e_sandbox() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(scenario(CUSTOMERS), rate_limits="disabled", concurrent_jobs=1000)
    with sandbox.serve() as server:
        yield sandbox, server.base_url


def test_explore(stack):
    with stack.db.session() as session:
        session.execute(update(Customer).values(run_at=clock(0, 0)))
    weekday = (datetime.now(UTC) + timedelta(days=3)).strftime("%A").lower()
    env = {
        "RUN_STALE_AFTER_S": "300",
        "RATE_READ_PER_MIN": "100000",
        "RATE_WRITE_PER_MIN": "100000",
        "RATE_LONG_RUNNING_PER_MIN": "100000",
        "WEEKLY_REVIEW_WEEKDAY": weekday,
    }
    t0 = time.monotonic()
    stack.worker(**env)
    stack.worker(**env)
    stack.beat(**env)

    def done():
        with stack.db.session() as session:
            runs = list(session.scalars(select(Run)))
        return len(runs) == 2 * CUSTOMERS and all(r.status in ("succeeded", "failed") for r in runs)

    wait_until(done, timeout=120, interval=0.5, what=stack.logs())
    print("duration", time.monotonic() - t0)
    print(stack.sandbox.pipeline.answered())
    with stack.db.session() as session:
        runs = list(session.scalars(select(Run).order_by(Run.id)))
        for r in runs:
            print(r.id, r.loop, r.status, r.attempts, r.created_at.time(), r.started_at.time(), r.finished_at.time())
