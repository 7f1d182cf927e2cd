"""Real processes: Celery workers and beats started as `python -m agent …` on a real Redis and
PostgreSQL, talking HTTP to the sandbox served from the test process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
import redis

from agent.config import load_settings
from agent.demo_customers import register
from agent.sandbox import Sandbox
from agent.store.db import Database
from agent.worker.app import create_app

API_KEY = "lp_test_e2e_SENTINELkeyvalue"
REPO = Path(__file__).resolve().parents[3]


def wait_until(
    predicate: Callable[[], object], *, timeout: float = 60, interval: float = 0.2, what: str = ""
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


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


@pytest.fixture
def e2e_sandbox() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox.from_demo(job_duration_scale=0.5, rate_limits="disabled")
    with sandbox.serve() as server:
        yield sandbox, server.base_url


@pytest.fixture
def stack(db, database_url, redis_url, e2e_sandbox, tmp_path) -> Iterator[Stack]:
    register(db, e2e_sandbox[0].scenario)
    stack = Stack(database_url, redis_url, e2e_sandbox, tmp_path, db)
    yield stack
    stack.stop_all()


class Stack:
    """Starts and stops agent processes with one environment; remembers them for teardown."""

    def __init__(
        self, database_url: str, redis_url: str, sandbox: tuple[Sandbox, str], tmp: Path, db: Database
    ):
        self.sandbox, self.base_url = sandbox
        self.db = db
        self.tmp = tmp
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LAYERS_BASE_URL": self.base_url,
            "LAYERS_API_KEY": API_KEY,
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "json",
            "POLLER_TICK_S": "0.5",
            "JOB_POLL_INITIAL_S": "0.5",
            "JOB_POLL_MAX_S": "1",
            "SWEEP_INTERVAL_S": "1",
            "RUN_STALE_AFTER_S": "4",
            "DISPATCH_INTERVAL_S": "1",
            "METRICS_PORT": "0",
        }
        self.processes: list[tuple[subprocess.Popen, Path, IO[bytes]]] = []
        self.settings = load_settings(_env_file=None, redis_url=redis_url, database_url=database_url)
        self.app = create_app(self.settings)

    def start(self, *args: str, name: str, **env: str) -> subprocess.Popen:
        log = self.tmp / f"{name}-{len(self.processes)}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "agent", *args],
            env={**self.env, **env},
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((process, log, handle))
        return process

    def worker(self, **env: str) -> subprocess.Popen:
        return self.start(
            "worker", "--pool", "threads", "--concurrency", "4", "--no-metrics", name="worker", **env
        )

    def beat(self, **env: str) -> subprocess.Popen:
        schedule = self.tmp / f"beat-{len(self.processes)}"
        return self.start("beat", "--schedule", str(schedule), name="beat", **env)

    def send_run(self, run_id: int) -> None:
        self.app.send_task("agent.run", args=[run_id])

    def full_logs(self) -> str:
        return "\n".join(log.read_text(errors="replace") for _, log, _ in self.processes)

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}" for _, log, _ in self.processes
        )

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for process, _, handle in self.processes:
            self.stop(process)
            handle.close()
        self.app.close()
