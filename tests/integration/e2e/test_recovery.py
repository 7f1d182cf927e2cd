"""Recovery in minutes, with real workers and beats: a Redis flushed while runs are queued, and a PostgreSQL
restarted while messages are in flight, delay no run by more than two sweep intervals and double none.

The sandbox answers every request after LATENCY_MS, so runs take long enough to queue behind each other
(the flush) or to be caught mid-flight (the restart). PostgreSQL is restarted in a cluster of this
module's own (initdb in a temporary directory, its own port): the shared test cluster is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from agent.sandbox.faults import FaultConfig
from agent.store import migrate
from agent.store.db import Database
from tests.integration.e2e.conftest import wait_until
from tests.integration.e2e.fleet import (
    all_due_now,
    all_ended,
    dispatch_now,
    elsewhere_weekday,
    nothing_twice,
    runs,
)

SWEEP_S = 4
ENV = {
    "SWEEP_INTERVAL_S": str(SWEEP_S),
    "RUN_STALE_AFTER_S": "4",
    "DISPATCH_INTERVAL_S": "3600",  # the test dispatches once; the hand-off makes the optimization runs
    "RATE_READ_PER_MIN": "6000",
    "RATE_LONG_RUNNING_PER_MIN": "600",
    "WEEKLY_REVIEW_WEEKDAY": elsewhere_weekday(),
}


def worker(stack, threads: int):
    return stack.start(
        "worker", "--pool", "threads", "--concurrency", str(threads), "--no-metrics", name="worker", **ENV
    )


def ended_count(stack) -> int:
    return sum(1 for r in runs(stack) if r.status in ("succeeded", "failed"))


def test_a_flushed_redis_loses_no_queued_run_for_more_than_two_sweeps(stack):
    """One worker with one thread works through a backlog; Redis is flushed with most of it still queued:
    the sweeper finds the runs whose markers went with their messages, and resends exactly those."""
    stack.sandbox.set_faults(FaultConfig(latency_ms=400))
    all_due_now(stack)
    assert dispatch_now(stack) > 0
    sent = {r.id: r.enqueued_at for r in runs(stack)}
    worker(stack, 1)  # one thread at 400 ms a call: part of the backlog is still queued at the flush
    stack.beat(**ENV)
    wait_until(lambda: ended_count(stack) >= 1, timeout=60, what=f"a first run to end\n{stack.logs()}")
    time.sleep(2 * SWEEP_S)  # two sweeps while the backlog waits: a queued backlog is left alone
    waiting = [r for r in runs(stack) if r.status == "queued" and r.id in sent]
    assert len(waiting) >= 3, [(r.id, r.status) for r in runs(stack)]
    assert all(r.enqueued_at == sent[r.id] for r in waiting)  # not resent for being queued long

    redis.Redis.from_url(stack.settings.redis_url).flushdb()
    flushed = datetime.now(UTC)
    wait_until(lambda: all_ended(stack), timeout=180, interval=0.5, what=f"every run\n{stack.logs()}")

    after = {r.id: r for r in runs(stack)}
    # A message the worker had already reserved (prefetched) survives the flush in the worker's hands: its
    # run is not resent, and must start at once; every other waiting run must be resent within two sweeps.
    resent = [r.id for r in waiting if after[r.id].enqueued_at != sent[r.id]]
    held = [r.id for r in waiting if r.id not in resent]
    resent_after = [(after[i].enqueued_at - flushed).total_seconds() for i in resent]
    held_started = [(after[i].started_at - flushed).total_seconds() for i in held if after[i].started_at]
    print(
        f"\nflush: {len(waiting)} queued runs; {len(resent)} lost their messages and were resent "
        f"{min(resent_after, default=0):.1f}-{max(resent_after, default=0):.1f}s after the flush (sweep every "
        f"{SWEEP_S}s); {len(held)} were in the worker's hands; {len(after)} runs ended, attempts "
        f"{sorted({r.attempts for r in after.values()})}"
    )
    assert resent, "the flush lost no message: nothing was proven"
    assert all(0 < s <= 2 * SWEEP_S for s in resent_after), resent_after
    assert len(held_started) == len(held)
    assert all(s <= 2 * SWEEP_S for s in held_started), held_started
    assert all(r.status == "succeeded" for r in after.values()), [
        (r.id, r.status, r.error) for r in after.values()
    ]
    assert {r.attempts for r in after.values()} == {1}  # none ran twice
    nothing_twice(stack)


# ---- a PostgreSQL restart, on a cluster of this module's own ---------------------------------------------


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return ["sudo", "-n", "-u", "postgres", *args]


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        pytest.fail(f"{name} not found under /usr/lib/postgresql: install PostgreSQL (scripts/services)")
    return str(found[-1])


class PrivateCluster:
    """A throwaway PostgreSQL cluster: its own data directory, port and socket directory."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="agent-pg-", dir="/tmp"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        subprocess.run(
            _as_postgres(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"),
            check=True,
            capture_output=True,
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        command = [_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w"]
        subprocess.run(_as_postgres(*command, "-m", "fast", action), check=True, capture_output=True)

    def remove(self) -> None:
        subprocess.run(
            _as_postgres(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"), check=False
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.ctl("start")
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def database_url(private_postgres: PrivateCluster) -> str:
    """A fresh database on the private cluster, migrated to head."""
    admin = create_engine(private_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS agent_restart WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE agent_restart"))
    admin.dispose()
    url = private_postgres.url.rsplit("/", 1)[0] + "/agent_restart"
    migrate.upgrade(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def test_a_postgresql_restart_with_runs_in_flight_delays_none_by_more_than_two_sweeps(
    stack, private_postgres
):
    """Two workers take every run at once; PostgreSQL restarts under them. Tasks that could not reach it
    retry shortly instead of losing their messages, runs cut off mid-way are handed on once their lease
    lapses, and nothing is done twice."""
    stack.sandbox.set_faults(FaultConfig(latency_ms=700))
    all_due_now(stack)
    assert dispatch_now(stack) > 0
    for _ in range(2):
        worker(stack, 8)
    stack.beat(**ENV)
    wait_until(
        lambda: sum(1 for r in runs(stack) if r.status == "running") >= 3,
        timeout=60,
        what=f"runs in flight\n{stack.logs()}",
    )
    private_postgres.ctl("restart")
    back = datetime.now(UTC)
    unfinished = {r.id for r in runs(stack) if r.status not in ("succeeded", "failed")}
    wait_until(lambda: all_ended(stack), timeout=180, interval=0.5, what=f"every run\n{stack.logs()}")

    after = {r.id: r for r in runs(stack)}
    resumed = [(after[i].started_at - back).total_seconds() for i in unfinished if after[i].started_at > back]
    retried = stack.full_logs().count('"database_unavailable"')
    print(
        f"\nrestart: {len(unfinished)} runs unfinished when PostgreSQL came back; {len(resumed)} claimed again "
        f"{min(resumed, default=0):.1f}-{max(resumed, default=0):.1f}s later (sweep every {SWEEP_S}s); "
        f"{retried} task retries for the outage; attempts {sorted(r.attempts for r in after.values())}"
    )
    assert unfinished
    assert all(s <= 2 * SWEEP_S for s in resumed), resumed
    assert all(r.status == "succeeded" for r in after.values()), [
        (r.id, r.status, r.error) for r in after.values()
    ]
    nothing_twice(stack)
