"""Real `agent beat` and `agent worker` processes on Redis and PostgreSQL: beat dispatches as it starts
(not an interval later), the dispatch leaves the heartbeat `agent health` reads, and an idle worker logs
its poller ticks at DEBUG, not two INFO lines every tick."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from agent.domain.vocabulary import Tick
from agent.store import heartbeats
from agent.store.db import Database
from tests.integration.cli.agent_process import AGENT, KEPT


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with scripts/test (it starts Redis)")
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([AGENT, *args], env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def records(log: Path) -> list[dict]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_beat_dispatches_at_start_and_idle_ticks_log_at_debug(
    db: Database, database_url, redis_url, tmp_path, level
):
    env = {
        **{name: os.environ[name] for name in KEPT if name in os.environ},
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LAYERS_API_KEY": "lp_test_ticks_SECRETsentinel",
        "LAYERS_BASE_URL": "http://127.0.0.1:1",  # no customer: nothing calls it
        "DISPATCH_INTERVAL_S": "3600",  # without the start-up dispatch, none would run during this test
        "SWEEP_INTERVAL_S": "3600",
        "POLLER_TICK_S": "0.5",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": level,
    }
    worker = start(["worker", "--concurrency", "2", "--no-metrics"], env, tmp_path / "worker.log")
    beat = start(["beat", "--schedule", str(tmp_path / "beat-schedule")], env, tmp_path / "beat.log")
    try:
        deadline = time.monotonic() + 60
        seen = None
        while time.monotonic() < deadline and seen is None:
            with db.session() as session:
                seen = heartbeats.last_seen(session).get(Tick.DISPATCH)
            time.sleep(0.5)
        assert seen is not None, (tmp_path / "worker.log").read_text()[-3000:]
        time.sleep(4)  # several idle poller ticks
    finally:
        stop(beat)
        stop(worker)
    ticks = [r for r in records(tmp_path / "worker.log") if "agent.poll_jobs" in str(r.get("event", ""))]
    assert [r for r in ticks if r.get("level") == "info"] == []
    if level == "DEBUG":
        assert len([r for r in ticks if r.get("level") == "debug"]) >= 4
