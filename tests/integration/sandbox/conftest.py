"""An in-process sandbox on an ephemeral port, talked to over real HTTP with plain httpx."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from agent.sandbox import DEMO_SCENARIO_PATH, ManualClock, Sandbox, load_scenario

API_KEY = "lp_test_demo01_s3cretValue"
START = datetime(2026, 4, 20, 12, 0, 30, tzinfo=UTC)

ACME = "prj_00000003-0000-4000-8000-000000000000"
ACME_BREAKOUT = "pp_00000003-0001-4000-8000-000000000000"
ACME_EXCLUDED = "pp_00000003-0010-4000-8000-000000000000"
FRESH = "prj_00000001-0000-4000-8000-000000000000"
NORTHWIND = "prj_00000006-0000-4000-8000-000000000000"
PIXEL = "prj_00000007-0000-4000-8000-000000000000"
BRIGHT = "prj_00000008-0000-4000-8000-000000000000"
STORMY = "prj_00000009-0000-4000-8000-000000000000"
STORMY_BREAKOUT = "pp_00000009-0001-4000-8000-000000000000"


@pytest.fixture(scope="session")
def demo_scenario():
    return load_scenario(DEMO_SCENARIO_PATH)


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """One TLS context for every client: building one per httpx.Client costs ~0.2 s (never used on http)."""
    return ssl.create_default_context()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def start_sandbox(demo_scenario, clock, tls) -> Iterator[Callable[..., tuple[Sandbox, httpx.Client]]]:
    """Start a sandbox (demo scenario, manual clock unless overridden) and an authenticated client."""
    opened: list[Any] = []

    def start(**kwargs: Any) -> tuple[Sandbox, httpx.Client]:
        kwargs.setdefault("clock", clock)
        sandbox = Sandbox(kwargs.pop("scenario", demo_scenario), **kwargs)
        server = sandbox.serve()
        client = httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5
        )
        opened.extend([server, client])
        return sandbox, client

    yield start
    for resource in reversed(opened):
        resource.close()


@pytest.fixture
def sandbox_and_client(start_sandbox) -> tuple[Sandbox, httpx.Client]:
    return start_sandbox()


@pytest.fixture
def sandbox(sandbox_and_client) -> Sandbox:
    return sandbox_and_client[0]


@pytest.fixture
def client(sandbox_and_client) -> httpx.Client:
    return sandbox_and_client[1]


@pytest.fixture
def anon(client, tls) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=str(client.base_url), timeout=5, verify=tls) as anonymous:
        yield anonymous


def clone(
    client: httpx.Client, container_id: str, source: str = ACME_BREAKOUT, project: str = ACME, **extra: Any
):
    body = {"projectId": project, "sourcePlatformPostId": source, **extra}
    return client.post(f"/v1/content/{container_id}/clone-from-post", json=body)
