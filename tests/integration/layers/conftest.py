"""The Layers client against a real local sandbox over HTTP (demo scenario, manual clock)."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent.layers import LayersClient, RetryPolicy
from agent.sandbox import DEMO_SCENARIO_PATH, ManualClock, Sandbox, load_scenario

API_KEY = "lp_test_layersclient01_SENTINELsecret"
START = datetime(2026, 4, 20, 12, 0, 30, tzinfo=UTC)

FRESH = "prj_00000001-0000-4000-8000-000000000000"
ACME = "prj_00000003-0000-4000-8000-000000000000"
ACME_BREAKOUT = "pp_00000003-0001-4000-8000-000000000000"
ACME_EXCLUDED = "pp_00000003-0010-4000-8000-000000000000"
NORTHWIND = "prj_00000006-0000-4000-8000-000000000000"
PIXEL = "prj_00000007-0000-4000-8000-000000000000"
BRIGHT = "prj_00000008-0000-4000-8000-000000000000"
STORMY = "prj_00000009-0000-4000-8000-000000000000"
STORMY_BREAKOUT = "pp_00000009-0001-4000-8000-000000000000"
DEMO_ORG = "org_5a1d0b3e-7c4f-4e2a-9b8d-1f2e3d4c5b6a"


class Calls:
    """The client's on_response hook: every attempt it made, as (method, route, status)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []

    def __call__(self, method: str, route: str, status: int, elapsed_s: float) -> None:
        self.seen.append((method, route, status))


@pytest.fixture(scope="session")
def demo_scenario():
    return load_scenario(DEMO_SCENARIO_PATH)


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """One TLS context for every pool: building one per httpx.Client is slow (and unused on http)."""
    return ssl.create_default_context()


@pytest.fixture
def start(demo_scenario, tls) -> Iterator[Callable[..., tuple[Sandbox, Callable[..., LayersClient]]]]:
    """Start a sandbox; return it and a factory for LayersClients pointed at it.

    Client sleeps advance the sandbox's manual clock by default, so Retry-After really passes for
    the server and the tests never wait.
    """
    opened: list[Any] = []

    def start_sandbox(**sandbox_kwargs: Any) -> tuple[Sandbox, Callable[..., LayersClient]]:
        sandbox_kwargs.setdefault("clock", ManualClock(START))
        sandbox = Sandbox(demo_scenario, **sandbox_kwargs)
        server = sandbox.serve()
        opened.append(server)

        def make_client(**overrides: Any) -> LayersClient:
            http = httpx.Client(verify=tls)
            kwargs: dict[str, Any] = {
                "base_url": server.base_url,
                "api_key": SecretStr(API_KEY),
                "http": http,
                "retry": RetryPolicy(max_attempts=4, deadline_s=120, retry_after_cap_s=30),
                "timeout": httpx.Timeout(5.0),
                "sleep": sandbox.advance,
            }
            kwargs.update(overrides)
            client = LayersClient(**kwargs)
            opened.extend([http, client])
            return client

        return sandbox, make_client

    yield start_sandbox
    for resource in reversed(opened):
        resource.close()


@pytest.fixture
def sandbox_and_client(start) -> tuple[Sandbox, LayersClient]:
    sandbox, make_client = start()
    return sandbox, make_client()


@pytest.fixture
def sandbox(sandbox_and_client) -> Sandbox:
    return sandbox_and_client[0]


@pytest.fixture
def client(sandbox_and_client) -> LayersClient:
    return sandbox_and_client[1]
