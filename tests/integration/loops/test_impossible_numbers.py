"""Impossible numbers end to end (issue 15): a Layers stand-in serving odd rows beside normal posts. The
demo's Odd Socks Co gets `skip / invalid_metrics` for each odd row and its real breakout cloned; a sandbox
serving `Infinity` makes the run end with a recorded `error / malformed_response`, never a stuck run."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from agent.config import load_settings
from agent.demo_customers import register
from agent.layers.client import LayersClient
from agent.sandbox import Sandbox
from agent.sandbox.scenario_schema import Scenario
from agent.services import Services
from agent.store.models import Decision, Run
from tests.support.cycle import FAST
from tests.support.running import decisions_of, run_today

ODD = "Odd Socks Co"
PROJECT = "prj_00000099-0000-4000-8000-000000000000"


def test_odd_rows_beside_normal_posts_are_not_judged_and_the_real_breakout_is_cloned(services):
    assert run_today(services, ODD).status == "succeeded"
    decided = decisions_of(services, ODD)
    invalid = {d.subject_id: d.evidence for d in decided if d.reason == "invalid_metrics"}
    assert set(invalid) == {
        "pp_00000016-0091-4000-8000-000000000000",  # engagement rate 7.5
        "pp_00000016-0092-4000-8000-000000000000",  # negative views
        "pp_00000016-0093-4000-8000-000000000000",  # the same id twice, with different numbers
    }
    assert (
        "engagement_rate 7.5 is outside [0, 1]"
        in invalid["pp_00000016-0091-4000-8000-000000000000"]["problems"]
    )
    assert len(invalid["pp_00000016-0093-4000-8000-000000000000"]["rows"]) == 2
    (clone,) = [d for d in decided if d.action == "clone"]
    assert clone.subject_id == "pp_00000016-0001-4000-8000-000000000000"
    assert clone.evidence["median_engagement_rate"] == pytest.approx(0.03)  # the odd rows moved nothing


def _infinite_scenario() -> Scenario:
    posts = [
        {"platformPostId": f"pp_00000099-00{j:02d}-4000-8000-000000000000", "title": f"Post {j}", "views": 900,
         "engagementRate": 0.02 + j / 1000, "ageDays": 1}
        for j in range(1, 6)
    ]  # fmt: skip
    infinite = {
        "rank": 9,
        "sourceType": "platform_post",
        "platformPostId": "pp_00000099-0099-4000-8000-000000000000",
        "metricValue": math.inf,
        "organic": {"views": 400, "engagementRate": math.inf},
    }
    return Scenario.model_validate(
        {
            "projects": [
                {"id": PROJECT, "name": "Infinite Loop Labs", "posts": posts, "rawTopPerformers": [infinite]}
            ]
        }
    )


@pytest.fixture
def infinite(db, database_url, clock) -> Iterator[Services]:
    sandbox = Sandbox(_infinite_scenario(), clock=clock, rate_limits="disabled")
    with sandbox.serve() as server:
        settings = load_settings(
            _env_file=None,
            layers_base_url=server.base_url,
            layers_api_key="lp_test_inf_SECRETsentinel",
            database_url=database_url,
            redis_url=None,
            http_max_attempts=1,
            **FAST,
        )
        client = LayersClient.from_settings(settings)
        register(db, sandbox.scenario)
        yield Services(settings=settings, db=db, client=client, clock=clock)
        client.close()


def test_a_sandbox_serving_infinity_ends_the_run_with_a_recorded_decision(infinite):
    services = infinite
    outcome = run_today(services, "Infinite Loop Labs")
    assert (outcome.status, outcome.reason) == ("failed", "malformed_response")
    with services.db.session() as session:
        (run,) = session.scalars(select(Run).where(Run.loop == "publish_to_learn")).all()
        (decision,) = session.scalars(select(Decision).where(Decision.run_id == run.id)).all()
        assert run.status == "failed"  # ended, not left running until its lease lapses
        assert (decision.action, decision.reason) == ("error", "malformed_response")
        assert "not finite" in decision.evidence["message"]
        assert decision.evidence["endpoint"] == "GET /v1/projects/{projectId}/top-performers"
