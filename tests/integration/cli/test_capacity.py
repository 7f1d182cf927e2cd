"""Capacity measured on a recorded fleet: two days of the demo customers' runs with the worker's own wiring
(`build_services`, whose client counts every call per run), then `agent capacity` and its metrics.

The calls recorded with the runs are checked against the sandbox's own request counters, so the figures
rest on what Layers saw, not on what the agent thinks it sent."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from agent.capacity import CapacityCollector, measure
from agent.cli import app
from agent.config import get_settings, load_settings
from agent.demo_customers import register
from agent.sandbox import ManualClock, Sandbox
from agent.services import Services, build_services
from agent.store.models import Customer, Job, Run, RunCall
from tests.support.fixtures import API_KEY
from tests.support.running import follow_jobs, run_today

DAILY = ("publish_to_learn", "optimization")


@pytest.fixture
def recorded(db, database_url) -> Iterator[tuple[Services, Sandbox, ManualClock]]:
    """Two days of every demo customer's daily loops, jobs followed to their end, on today's date (the
    command measures the last seven days from the real clock)."""
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    sandbox = Sandbox.from_demo(clock=clock, rate_limits="disabled", job_duration_scale=0.25)
    with sandbox.serve() as server:
        settings = load_settings(
            _env_file=None,
            layers_base_url=server.base_url,
            layers_api_key=API_KEY,
            database_url=database_url,
            redis_url=None,
            http_deadline_s=10,
            # The client's own limiter runs on the wall clock: no pacing for the recording itself.
            rate_read_per_min=100_000,
            rate_write_per_min=100_000,
            rate_long_running_per_min=100_000,
        )
        services = build_services(settings, clock=clock)
        register(services.db, sandbox.scenario)
        for day in range(2):
            if day:
                clock.advance(timedelta(days=1).total_seconds())
            for project in sandbox.scenario.projects:
                for loop in DAILY:
                    assert run_today(services, project.name, loop).status == "succeeded"
                    follow_jobs(services, clock, seconds=12, step=2)
        try:
            yield services, sandbox, clock
        finally:
            services.close()


@pytest.fixture
def agent(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, **env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return runner.invoke(app, ["capacity", *args], catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def recorded_calls(services: Services) -> Counter[tuple[str, str]]:
    with services.db.session() as session:
        rows = session.execute(
            select(RunCall.method, RunCall.route, func.sum(RunCall.calls)).group_by(
                RunCall.method, RunCall.route
            )
        )
        return Counter({(method, route): int(n) for method, route, n in rows})


def test_every_call_of_every_run_and_its_jobs_is_recorded_with_the_run(recorded):
    services, sandbox, _ = recorded
    seen_by_layers: Counter[tuple[str, str]] = Counter()
    for key, n in sandbox.pipeline.counters.snapshot().items():
        seen_by_layers[(key.method, key.route)] += n
    assert recorded_calls(services) == seen_by_layers
    assert seen_by_layers[("GET", "/v1/jobs/{jobId}")] > 0  # job polls count toward their run
    with services.db.session() as session:
        assert session.scalar(select(func.count()).where(Job.status == "running")) == 0
    with services.db.session() as session:
        unmeasured = session.scalars(select(Run.id).where(~Run.id.in_(select(RunCall.run_id)))).all()
    assert unmeasured == []


def test_agent_capacity_reports_the_measured_cost_and_todays_finish_per_timezone(recorded, agent):
    services, sandbox, _ = recorded
    result = agent("--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    with services.db.session() as session:
        per_loop = {
            loop: (reads, runs)
            for loop, reads, runs in session.execute(
                select(Run.loop, func.sum(RunCall.calls), func.count(func.distinct(Run.id)))
                .join(RunCall, RunCall.run_id == Run.id)
                .where(RunCall.endpoint_class == "read-light")
                .group_by(Run.loop)
            )
        }
    reads_per_day = sum(reads / runs for reads, runs in per_loop.values())
    assert report["calls_per_customer_day"]["read-light"] == pytest.approx(reads_per_day)
    assert report["measured_runs"] == {loop: 2 * len(sandbox.scenario.projects) for loop in DAILY}
    # The standard tier's 120 reads a minute over a day, at the measured cost (reads bind: one clone at most).
    assert report["binding_class"] == "read-light"
    assert report["customers_per_day"] == math.floor(120 * 1440 / reads_per_day)
    assert report["customers"] == len(sandbox.scenario.projects)
    assert report["over_quota"] is False
    zones = {zone["timezone"]: zone for zone in report["zones"]}
    assert Counter({tz: zone["customers"] for tz, zone in zones.items()}) == Counter(
        project.timezone for project in sandbox.scenario.projects
    )
    assert all(zone["finish_at"] >= zone["first_due_at"] and not zone["late"] for zone in zones.values())

    table = agent()
    assert table.exit_code == 0
    assert f"capacity: {report['customers_per_day']:,} customers per day (read-light binds)" in table.stdout


def test_demand_over_the_quota_in_the_daily_window_exits_1_with_the_reason(recorded, agent):
    services, _, _ = recorded
    with services.db.session() as session:  # every run due five minutes before local midnight
        session.execute(update(Customer).values(run_at=time(23, 55)))
    assert agent().exit_code == 0  # 120 reads a minute still serve them in time
    # One read a minute: each timezone's runs need more than the five minutes left of their local day.
    result = agent(RATE_READ_PER_MIN="1")
    assert result.exit_code == 1
    assert "over capacity: today's last run would end after local midnight in" in result.stdout
    report = json.loads(agent("--format", "json", RATE_READ_PER_MIN="1").stdout)
    assert report["over_quota"] is True
    assert all(zone["late"] for zone in report["zones"])


def test_without_recorded_runs_it_says_to_try_again_later(db, agent):
    result = agent()
    assert result.exit_code == 75
    assert result.stderr.startswith("error: no run since ")


def test_the_same_figures_as_metrics(recorded):
    services, _, clock = recorded
    registry = CollectorRegistry()
    registry.register(CapacityCollector(services.db, services.settings, clock=clock))
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }
    figures = measure(services.db, services.settings, clock()).capacity
    assert samples[("agent_capacity_customers_per_day", ())] == figures.customers_per_day
    assert samples[("agent_capacity_customers", ())] == figures.customers
    assert samples[("agent_capacity_over_quota", ())] == 0
    assert samples[
        ("agent_capacity_calls_per_customer_day", (("endpoint_class", "read-light"),))
    ] == pytest.approx(figures.per_customer_day["read-light"])
    for zone in figures.zones:
        key = ("agent_capacity_last_run_finish_timestamp_seconds", (("timezone", zone.timezone),))
        assert samples[key] == pytest.approx(zone.finish_at.timestamp())
