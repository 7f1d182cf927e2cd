"""Fixtures shared by the integration tests (a pytest plugin, registered in tests/conftest.py): the demo
sandbox served over HTTP with a hand-driven clock, and the agent's services on the session database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.config import load_settings
from agent.demo_customers import register
from agent.layers.client import LayersClient
from agent.sandbox import ManualClock, Sandbox
from agent.services import Services
from agent.store.db import Database
from tests.support.demo import START

API_KEY = "lp_test_loops_SECRETsentinel"
UNPACED = {"rate_read_per_min": 100_000, "rate_write_per_min": 100_000, "rate_long_running_per_min": 100_000}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[tuple[Sandbox, str]]:
    """The demo scenario, no rate limits, on the test's clock: (sandbox, base URL)."""
    sb = Sandbox.from_demo(clock=clock, rate_limits="disabled")
    with sb.serve() as server:
        yield sb, server.base_url


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    """Extra settings for one test: `@pytest.mark.parametrize("settings_overrides", [...], indirect=True)`."""
    return getattr(request, "param", {})


@pytest.fixture
def services(
    db: Database,
    database_url: str,
    sandbox: tuple[Sandbox, str],
    clock: ManualClock,
    settings_overrides: dict[str, object],
) -> Iterator[Services]:
    """The agent's real services on the session database and the sandbox, the demo customers registered.

    The agent's own limiter paces on the wall clock while the test drives the sandbox's clock, so it gets
    rates no test reaches unless the test sets them (the quota tests do)."""
    settings = load_settings(
        _env_file=None,
        layers_base_url=sandbox[1],
        layers_api_key=API_KEY,
        database_url=database_url,
        redis_url=None,
        http_deadline_s=10,
        **(UNPACED | settings_overrides),
    )
    client = LayersClient.from_settings(settings)
    built = Services(settings=settings, db=db, client=client, clock=clock)
    register(db, sandbox[0].scenario)
    yield built
    client.close()
