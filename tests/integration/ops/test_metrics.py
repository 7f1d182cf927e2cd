"""Prometheus metrics, scraped over HTTP from the endpoint the worker serves.

The registry is process-global (other tests move the same counters), so every assertion compares a
scrape taken before with one taken after, never an absolute value.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from agent import gauges
from agent.config import load_settings
from agent.demo_customers import register
from agent.domain.decisions import Subject
from agent.domain.vocabulary import Action, LoopName, Reason, SubjectType, Tick
from agent.observability import record_api_call, serve_metrics
from agent.sandbox import ManualClock, Sandbox
from agent.services import Services, build_services
from agent.store import customers, heartbeats
from agent.store.models import Decision, Job
from tests.integration.ops import runs as ops_runs
from tests.support import builders as b
from tests.support.demo import START
from tests.support.fixtures import API_KEY
from tests.support.running import follow_jobs, run_today

Labels = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Scrape:
    samples: dict[tuple[str, Labels], float]

    def value(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """Sum over every series of `name` whose labels include the given ones."""
        wanted = set(labels.items())
        return sum(v for (n, got), v in self.samples.items() if n == name and wanted <= got)

    def __sub__(self, before: Scrape) -> Delta:
        return Delta(self, before)


@dataclass(frozen=True)
class Delta:
    after: Scrape
    before: Scrape

    def value(self, name: str, **labels: str) -> float:
        return self.after.value(name, **labels) - self.before.value(name, **labels)

    def total(self, name: str, **labels: str) -> float:
        return self.after.total(name, **labels) - self.before.total(name, **labels)


@pytest.fixture(scope="module")
def metrics_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve_metrics(port, addr="127.0.0.1")
    return f"http://127.0.0.1:{port}/metrics"


def scrape(url: str) -> Scrape:
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(
        {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }
    )


def test_serving_twice_on_one_port_is_harmless(metrics_url):
    port = int(metrics_url.rsplit(":", 1)[1].split("/")[0])
    serve_metrics(port, addr="127.0.0.1")  # would raise "address in use" if it bound again
    assert (
        scrape(metrics_url).value("agent_layers_api_calls_total", method="NONE", route="-", status="0") == 0
    )


def test_a_decision_counts_once_even_when_recorded_twice(metrics_url, db):
    labels = {"loop": "optimization", "action": "flag", "reason": "spend_without_conversions"}
    before = scrape(metrics_url)
    with db.session() as session:
        northwind = customers.add(
            session, layers_project_id="prj_northwind_fit", name="Northwind Fitness", timezone="Europe/London"
        )

        def flag(ad: str, dedupe_key: str | None = None) -> None:
            b.decision(
                session,
                customer_id=northwind.id,
                loop=LoopName.OPTIMIZATION,
                action=Action.FLAG,
                reason=Reason.SPEND_WITHOUT_CONVERSIONS,
                subject=Subject(SubjectType.AD, ad),
                evidence=b.spend_flag(spend=182.4, impressions=9120.0, window_until=datetime.now(UTC)),
                dedupe_key=dedupe_key,
            )

        for _ in range(2):  # a redelivered task records the same decision again
            flag("ad_nw_spin_promo", dedupe_key="run:1:ad:ad_nw_spin_promo")
        flag("ad_nw_yoga_promo")
    assert (scrape(metrics_url) - before).value("agent_decisions_total", **labels) == 2


def test_a_429_counts_as_a_call_and_as_rate_limited(metrics_url):
    route = "/v1/jobs/{jobId}"
    before = scrape(metrics_url)
    record_api_call("GET", route, 429, 0.01)
    record_api_call("GET", route, 200, 0.02)
    moved = scrape(metrics_url) - before
    assert moved.value("agent_layers_api_calls_total", method="GET", route=route, status="429") == 1
    assert moved.value("agent_layers_api_calls_total", method="GET", route=route, status="200") == 1
    assert moved.value("agent_layers_rate_limited_total", route=route) == 1
    assert moved.value("agent_layers_request_duration_seconds_count", method="GET", route=route) == 2
    assert moved.value(
        "agent_layers_request_duration_seconds_sum", method="GET", route=route
    ) == pytest.approx(0.03)


@pytest.fixture
def wired(db, database_url) -> Iterator[tuple[Services, ManualClock]]:
    """The worker's own wiring (`build_services`, which hooks the client to the metrics) on the sandbox."""
    clock = ManualClock(START)
    sandbox = Sandbox.from_demo(clock=clock, rate_limits="disabled")
    with sandbox.serve() as server:
        settings = load_settings(
            _env_file=None,
            layers_base_url=server.base_url,
            layers_api_key=API_KEY,
            database_url=database_url,
            redis_url=None,
            http_deadline_s=10,
        )
        services = build_services(settings, clock=clock)
        register(services.db, sandbox.scenario)
        try:
            yield services, clock
        finally:
            services.close()


def test_a_real_run_moves_every_counter(metrics_url, wired):
    services, clock = wired
    before = scrape(metrics_url)

    outcome = run_today(services, "Acme Coffee")
    assert outcome.status == "succeeded"
    after_run = scrape(metrics_url)
    moved = after_run - before
    assert moved.value("agent_runs_total", loop="publish_to_learn", status="succeeded") == 1
    assert moved.total("agent_runs_total", status="failed") == 0

    # one count per decision the run recorded, under its own (loop, action, reason)
    with services.db.session() as session:
        recorded = Counter(
            session.execute(
                select(Decision.loop, Decision.action, Decision.reason).where(
                    Decision.run_id == outcome.run_id
                )
            ).tuples()
        )
    assert recorded[("publish_to_learn", "clone", "breakout")] == 1
    for (loop, action, reason), n in recorded.items():
        assert moved.value("agent_decisions_total", loop=loop, action=action, reason=reason) == n
    assert moved.total("agent_decisions_total") == sum(recorded.values())

    top = {"method": "GET", "route": "/v1/projects/{projectId}/top-performers", "status": "200"}
    clone = {"method": "POST", "route": "/v1/content/{containerId}/clone-from-post", "status": "202"}
    assert moved.value("agent_layers_api_calls_total", **top) >= 1
    assert moved.value("agent_layers_api_calls_total", **clone) == 1
    assert moved.total("agent_layers_api_calls_total") == moved.total(
        "agent_layers_request_duration_seconds_count"
    )

    follow_jobs(services, clock)
    followed = scrape(metrics_url) - after_run
    with services.db.session() as session:
        (job,) = session.scalars(select(Job)).all()
    assert job.status == "completed"
    assert followed.value("agent_job_outcomes_total", kind="clone", status="completed") == 1
    assert followed.total("agent_job_outcomes_total") == 1
    polls = followed.value("agent_job_poll_seconds_count")
    assert polls >= 1
    assert followed.value("agent_job_poll_seconds_sum") > 0
    assert followed.total("agent_layers_api_calls_total", method="GET", route="/v1/jobs/{jobId}") == polls
    assert followed.value("agent_job_duration_seconds_count") == 1


def test_no_created_series_and_the_alerting_label_sets_start_at_zero(metrics_url):
    names = {name for name, _ in scrape(metrics_url).samples}
    assert not [name for name in names if name.endswith("_created")]
    scraped = scrape(metrics_url).samples
    for loop in ("publish_to_learn", "optimization", "weekly_review"):
        for status in ("succeeded", "failed"):
            assert ("agent_runs_total", frozenset({("loop", loop), ("status", status)})) in scraped
    for kind in ("clone", "commission"):
        for status in ("completed", "failed", "canceled", "timed_out"):
            assert ("agent_job_outcomes_total", frozenset({("kind", kind), ("status", status)})) in scraped


def test_the_gauges_are_read_from_the_database_at_each_scrape(metrics_url, db):
    now = datetime.now(UTC).replace(microsecond=0)
    collector = gauges.register(db, lambda: now)
    try:
        empty = scrape(metrics_url)
        assert empty.value("agent_gauges_up") == 1
        assert empty.value("agent_last_dispatch_timestamp_seconds") == 0
        assert {empty.value("agent_runs_today", status=s) for s in ("pending", "queued", "running")} == {0}
        with db.session() as session:
            acme = customers.add(session, layers_project_id="prj_acme", name="Acme", timezone="UTC").id
            ops_runs.queued(
                session, customer_id=acme, loop=LoopName.PUBLISH_TO_LEARN, now=now - timedelta(minutes=7)
            )
            clone = b.reserve_clone(session, customer_id=acme, source_post_id="pp_1")
            b.job(session, clone, job_id="job_g1", submitted_at=now - timedelta(minutes=1))
            heartbeats.seen(session, name=Tick.DISPATCH, now=now - timedelta(seconds=30))
            heartbeats.seen(session, name=Tick.SWEEP, now=now - timedelta(seconds=5))
        seen = scrape(metrics_url)
        assert seen.value("agent_runs_today", status="queued") == 1
        assert seen.value("agent_oldest_queued_run_age_seconds") == pytest.approx(420, abs=1)
        assert seen.value("agent_jobs_in_flight") == 1
        assert seen.value("agent_pending_approvals") == 0
        assert (
            seen.value("agent_last_dispatch_timestamp_seconds") == (now - timedelta(seconds=30)).timestamp()
        )
        assert seen.value("agent_last_sweep_timestamp_seconds") == (now - timedelta(seconds=5)).timestamp()
    finally:
        REGISTRY.unregister(collector)
