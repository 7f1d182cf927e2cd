"""Bad answers from Layers become recorded decisions with their reason, never a crash loop."""

import pytest
from sqlalchemy import select

from agent.layers import errors
from agent.layers.client import LayersClient
from agent.sandbox import FaultConfig
from agent.services import Services
from agent.store.models import Decision, Run
from tests.support.running import run_today

ONE_ATTEMPT = [{"http_max_attempts": 1, "task_max_attempts": 3}]


def decisions(services):
    with services.db.session() as session:
        return list(session.scalars(select(Decision).order_by(Decision.id)))


def the_run(services):
    """Today's publish-to-learn run (its end hands off the day's optimization run)."""
    with services.db.session() as session:
        return session.scalars(select(Run).where(Run.loop == "publish_to_learn")).one()


def test_a_malformed_ranking_is_recorded_and_the_run_fails_cleanly(services, sandbox):
    sandbox[0].set_faults(FaultConfig(rate_malformed=1.0, path_pattern="top-performers"))
    outcome = run_today(services, "Acme Coffee")
    assert (outcome.status, outcome.reason) == ("failed", "malformed_response")
    (decision,) = decisions(services)
    assert (decision.action, decision.reason) == ("error", "malformed_response")
    assert "top-performers" in decision.evidence["endpoint"]
    assert the_run(services).status == "failed"
    assert run_today(services, "Acme Coffee").status == "not_claimed"  # no crash loop


def test_schema_drift_is_tolerated(services, sandbox):
    sandbox[0].set_faults(FaultConfig(rate_drift=1.0, seed=7))
    assert run_today(services, "Acme Coffee").status == "succeeded"


@pytest.mark.parametrize("settings_overrides", ONE_ATTEMPT, indirect=True)
def test_an_unavailable_layers_defers_the_run_then_gives_up_with_a_decision(services, sandbox):
    sandbox[0].set_faults(FaultConfig(rate_5xx=1.0, statuses_5xx=(503,)))
    outcomes = [run_today(services, "Acme Coffee") for _ in range(4)]
    assert [o.status for o in outcomes[:3]] == ["queued", "queued", "queued"]
    assert all(o.retry_after_s for o in outcomes[:3])
    assert (outcomes[3].status, outcomes[3].reason) == ("not_claimed", "attempts_exhausted")
    run = the_run(services)
    assert run.status == "failed"
    assert "ServerError" in run.error
    (gave_up,) = decisions(services)
    assert (gave_up.action, gave_up.reason, gave_up.evidence["attempts"]) == (
        "error",
        "attempts_exhausted",
        3,
    )


@pytest.mark.parametrize("settings_overrides", ONE_ATTEMPT, indirect=True)
def test_a_run_deferred_by_an_outage_finishes_once_layers_is_back(services, sandbox):
    sandbox[0].set_faults(FaultConfig(rate_5xx=1.0))
    assert run_today(services, "Acme Coffee").status == "queued"
    sandbox[0].set_faults(FaultConfig())
    assert run_today(services, "Acme Coffee").status == "succeeded"
    assert the_run(services).attempts == 2
    assert sandbox[0].witness.count_applied("clone") == 1


class BusyFleet:
    """A shared limiter whose first refusals say "the fleet has used this minute's quota"."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals

    def acquire(self, endpoint_class):
        if self.refusals:
            self.refusals -= 1
            raise errors.QuotaExhausted(endpoint_class, 1.0)

    def back_off(self, endpoint_class, seconds):
        """Nothing to remember: this fleet only ever refuses up front."""


@pytest.mark.parametrize("settings_overrides", [{"task_max_attempts": 1}], indirect=True)
def test_waiting_for_the_shared_quota_does_not_use_up_attempts(services):
    """Queueing behind other customers for the fleet's quota is not a failure of this run."""
    busy = Services(
        settings=services.settings,
        db=services.db,
        client=LayersClient.from_settings(services.settings, limiter=BusyFleet(refusals=2)),
        clock=services.clock,
    )
    outcomes = [run_today(busy, "Acme Coffee") for _ in range(3)]
    busy.client.close()
    assert [o.status for o in outcomes] == ["queued", "queued", "succeeded"]
    assert the_run(services).attempts == 1
