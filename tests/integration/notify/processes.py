"""Real agent processes for the crash tests: `python -m agent worker` and `beat` on Redis and the session
database, each with its own log file, killed as a group at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[3]


def wait_until(predicate: Callable[[], object], *, timeout: float = 60, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


class Processes:
    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env, self.tmp = env, tmp
        self.started: list[tuple[subprocess.Popen[bytes], Path, IO[bytes]]] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{args[0]}-{len(self.started)}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "agent", *args],
            env={**os.environ, **self.env, **env},
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((process, log, handle))
        return process

    def worker(self, **env: str) -> subprocess.Popen[bytes]:
        return self.start("worker", "--pool", "threads", "--concurrency", "2", "--no-metrics", **env)

    def beat(self) -> subprocess.Popen[bytes]:
        return self.start("beat", "--schedule", str(self.tmp / f"beat-{len(self.started)}"))

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for _, log, _ in self.started
        )

    def stop_all(self) -> None:
        for process, _, handle in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            handle.close()
