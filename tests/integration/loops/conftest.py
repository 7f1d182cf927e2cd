"""Loops on a real PostgreSQL against the real sandbox over HTTP, with one hand-driven clock for both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from agent.config import load_settings
from agent.demo_customers import register
from agent.layers.client import LayersClient
from agent.loops import catalog, follow
from agent.rules.schedule import local_date
from agent.sandbox import ManualClock, Sandbox
from agent.services import Services
from agent.store import customers, runs

API_KEY = "lp_test_loops_SECRETsentinel"
# Saturday afternoon in the Americas: every demo customer's 06:00 local run is due today.
START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock) -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox.from_demo(clock=clock, rate_limits="disabled")
    with sb.serve() as server:
        yield sb, server.base_url


@pytest.fixture
def settings_overrides(request) -> dict[str, object]:
    """Extra settings for one test: `@pytest.mark.parametrize("settings_overrides", [...], indirect=True)`."""
    return getattr(request, "param", {})


@pytest.fixture
def services(db, database_url, sandbox, clock, settings_overrides) -> Iterator[Services]:
    _, base_url = sandbox
    settings = load_settings(
        _env_file=None,
        layers_base_url=base_url,
        layers_api_key=API_KEY,
        database_url=database_url,
        redis_url=None,
        http_deadline_s=10,
        **settings_overrides,
    )
    client = LayersClient.from_settings(settings)
    built = Services(settings=settings, db=db, client=client, clock=clock)
    with db.session() as session:
        register(session, sb_scenario(sandbox))
    yield built
    client.close()


def sb_scenario(sandbox):
    return sandbox[0].scenario


def run_today(services: Services, customer_ref: str, loop: str = "publish_to_learn"):
    """Create (or find) today's run for the customer and execute it like a worker would."""
    with services.db.session() as session:
        customer = customers.find(session, customer_ref)
        run_id = runs.ensure(
            session,
            customer_id=customer.id,
            loop=loop,
            local_date=local_date(services.now(), customer.timezone),
        ).id
    return catalog.execute(services, run_id)


def follow_jobs(services: Services, clock: ManualClock, *, seconds: int = 120, step: int = 2) -> None:
    """Move time forward and let the poller do its rounds, as beat would."""
    for _ in range(seconds // step):
        clock.advance(step)
        follow.poll_due(services)
