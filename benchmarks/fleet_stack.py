"""The fleet benchmark's moving parts: a private Redis, a fresh PostgreSQL database, the agent's real
processes (`agent worker`, `agent beat`, `agent webhooks`) and their settings scaled by K.

Every duration the agent waits on is divided by K like the sandbox's (`Sandbox(time_scale=K)`) and its
limiter runs at the sandbox's scaled rates, so the fleet behaves as in production, K times faster.
Periodic ticks are kept at or above `MIN_TICK_S`: beat sending dozens of ticks a second would measure beat.
"""

from __future__ import annotations

import importlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import redis

from agent.sandbox.ratelimit import RateLimitTier

REPO = Path(__file__).resolve().parents[1]
API_KEY = "lp_test_fleet_SENTINELbenchkey"
MIN_TICK_S = 0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


@contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server of our own: workers on a shared Redis would take each other's messages."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        wait_until(lambda: _answers(client), timeout=10, what="the private redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def scaled_settings(tier: RateLimitTier, k: float) -> dict[str, str]:
    """The agent's settings for a sandbox K times faster: the tier's rates x K, every wait / K."""

    def seconds(value: float, *, whole: bool = False, floor: float = 0.0) -> str:
        scaled = max(value / k, floor)
        return str(max(1, round(scaled))) if whole else f"{scaled:.4g}"

    elsewhere = (datetime.now(UTC) + timedelta(days=3)).strftime("%A").lower()
    return {
        "RATE_READ_PER_MIN": str(round((tier.read_light or 0) * k)),
        "RATE_WRITE_PER_MIN": str(round((tier.write_light or 0) * k)),
        "RATE_LONG_RUNNING_PER_MIN": str(round((tier.long_running or 0) * k)),
        "QUOTA_MAX_WAIT_S": seconds(5.0),
        "RETRY_AFTER_CAP_S": seconds(30.0),
        "JOB_TIMEOUT_S": seconds(600, whole=True),
        "JOB_POLL_INITIAL_S": seconds(2.0),
        "JOB_POLL_MAX_S": seconds(10.0),
        "POLLER_TICK_S": seconds(2.0, floor=MIN_TICK_S),
        "DISPATCH_INTERVAL_S": seconds(300, whole=True),
        "SWEEP_INTERVAL_S": seconds(60, whole=True),
        "RUN_STALE_AFTER_S": seconds(900, whole=True),
        "WEEKLY_REVIEW_WEEKDAY": elsewhere,  # the two daily loops only: in no timezone is it today
    }


def webhooks_available() -> bool:
    """`agent webhooks` is a registered command (issue 11 builds it)."""
    lazy = importlib.import_module("agent.cli.lazy")
    importlib.import_module("agent.cli.main")
    return any(entry.name == "webhooks" for entry in lazy.ENTRIES)


def webhook_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


class Processes:
    """The agent's processes, started as `python -m agent …` with one environment, logs in `logs`."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = {**os.environ, **env}
        self.logs = logs
        self._running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}-{len(self._running)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "agent", *args],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._running.append((process, log))
        return process

    def workers(self, count: int, threads: int) -> None:
        for _ in range(count):
            self.start("worker", "worker", "--pool", "threads", "--concurrency", str(threads), "--no-metrics")

    def beat(self) -> None:
        self.start("beat", "beat", "--schedule", str(self.logs / "beat-schedule"))

    def exited(self) -> list[str]:
        """The processes that stopped on their own (a crash), by command line."""
        return [" ".join(map(str, p.args)) for p, _ in self._running if p.poll() is not None]

    def stop_all(self) -> None:
        for process, _ in self._running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, log in self._running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        self._running.clear()
