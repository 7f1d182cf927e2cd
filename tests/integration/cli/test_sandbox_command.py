"""`agent sandbox` says where it listens and logs each request it answers (one line each)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import httpx

from tests.integration.cli.agent_process import AGENT, KEPT

LISTENING = re.compile(r"^sandbox listening on (http://127\.0\.0\.1:\d+) \(scenario demo, tier \w+\)$")


def test_it_prints_where_it_listens_and_logs_every_request(tmp_path: Path):
    env = {**{n: os.environ[n] for n in KEPT if n in os.environ}, "LOG_FORMAT": "json"}
    process = subprocess.Popen(
        [AGENT, "sandbox", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = LISTENING.match(process.stdout.readline().rstrip("\n"))
        assert found
        with httpx.Client(base_url=found[1], timeout=5) as http:
            assert http.get("/_sandbox/health").status_code == 200
            assert http.get("/v1/whoami", headers={"Authorization": "Bearer nope"}).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0
    requests = [
        r
        for r in map(json.loads, (line for line in err.splitlines() if line.startswith("{")))
        if r["event"] == "sandbox.request"
    ]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("GET", "/_sandbox/health", 200),
        ("GET", "/v1/whoami", 401),
    ]
    assert all(r["level"] == "info" and r["ms"] >= 0 for r in requests)
