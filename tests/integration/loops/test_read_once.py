"""Each thing read once per customer-day, on the demo scenario over HTTP: the sandbox's own request counters
show one ads-content read and one top-performers read per customer across both daily loops (that the kept
reads give the same decisions as fresh ones is shown on the fakes, `tests/unit/loops/test_read_once.py`)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from agent.sandbox import Sandbox
from agent.store.models import Customer, Decision
from tests.support.running import run_today

ADS_CONTENT = "/v1/projects/{projectId}/ads-content"
TOP_PERFORMERS = "/v1/projects/{projectId}/top-performers"


def run_both_loops(services, sandbox: Sandbox) -> None:
    for project in sandbox.scenario.projects:
        assert run_today(services, project.name, "publish_to_learn").status == "succeeded"
        assert run_today(services, project.name, "optimization").status == "succeeded"


def test_both_loops_read_the_pool_and_the_ranking_once_per_customer_day(services, sandbox):
    sb, base_url = sandbox
    run_both_loops(services, sb)

    counters = sb.pipeline.counters
    for project in sb.scenario.projects:
        assert counters.total(route=ADS_CONTENT, method="GET", project_id=project.id) == 1, project.name
        assert counters.total(route=TOP_PERFORMERS, method="GET", project_id=project.id) == 1, project.name
    # The same counts over the admin endpoint, as any client of `agent sandbox` sees them.
    rows = httpx.get(f"{base_url}/_sandbox/counters", timeout=5).json()["items"]
    pool_reads = sum(row["count"] for row in rows if row["route"] == ADS_CONTENT and row["method"] == "GET")
    assert pool_reads == len(sb.scenario.projects)


def test_a_customer_day_without_a_clone_costs_at_most_five_reads(services, sandbox):
    sb, _ = sandbox
    run_both_loops(services, sb)
    with services.db.session() as session:
        started_work = set(
            session.scalars(
                select(Customer.layers_project_id)
                .join(Decision, Decision.customer_id == Customer.id)
                .where(Decision.action.in_(["clone", "act", "commission"]))
            )
        )
    quiet = [project.id for project in sb.scenario.projects if project.id not in started_work]
    assert quiet
    for project_id in quiet:
        # ranking + pool (publish-to-learn); ads-metrics, recommendations, posts published (optimization)
        assert sb.pipeline.counters.total(project_id=project_id, method="GET") <= 5, project_id
