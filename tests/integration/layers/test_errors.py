"""Each error the sandbox can produce reaches the caller as the right typed error, retried or not."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from agent.layers import RetryPolicy, errors
from agent.sandbox import FaultConfig, RateLimitTier
from agent.sandbox.faults import DRIFT_FIELD

from .conftest import ACME, ACME_BREAKOUT, START, Calls


def _uuid() -> str:
    return str(uuid.uuid4())


def test_unauthenticated(start):
    _, make_client = start()
    with pytest.raises(errors.Unauthenticated) as caught:
        make_client(api_key=SecretStr("lp_live_k1_notasandboxkey")).whoami()
    assert (caught.value.status, caught.value.code) == (401, "UNAUTHENTICATED")
    assert caught.value.request_id
    assert caught.value.request_id.startswith("req_")


def test_not_found(client):
    with pytest.raises(errors.NotFound) as caught:
        client.get_project("prj_99999999-0000-4000-8000-000000000000")
    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")
    with pytest.raises(errors.NotFound):
        client.get_job("job_01HX0000000000000000000000")


def test_validation_names_the_offending_parameter(client):
    with pytest.raises(errors.ValidationFailed) as caught:
        client.top_performers(ACME, metric="likes_per_minute")
    assert caught.value.status == 422
    assert caught.value.code == "VALIDATION"
    assert caught.value.issues


def test_conflict_when_a_container_id_is_reused_for_a_different_brief(client):
    container_id = _uuid()
    client.generate_content(ACME, container_id=container_id, brief={"hook": "one"}, idempotency_key="g-1")
    with pytest.raises(errors.Conflict) as caught:
        client.generate_content(ACME, container_id=container_id, brief={"hook": "two"}, idempotency_key="g-2")
    assert (caught.value.status, caught.value.code, caught.value.subcode) == (
        409,
        "CONFLICT",
        "CONTAINER_ID_REUSED",
    )


def test_idempotency_conflict_when_a_key_is_reused_with_another_body(client):
    client.patch_project(ACME, {"tagline": "one"}, idempotency_key="same-key")
    with pytest.raises(errors.IdempotencyConflict) as caught:
        client.patch_project(ACME, {"tagline": "two"}, idempotency_key="same-key")
    assert (caught.value.status, caught.value.code) == (409, "IDEMPOTENCY_CONFLICT")


def test_rate_limited_within_the_cap_waits_for_the_window_and_succeeds(start):
    sandbox, make_client = start(rate_limits=RateLimitTier("custom", 2, 1, 1))
    calls = Calls()
    client = make_client(on_response=calls)
    for _ in range(3):
        client.whoami()
    assert [status for _, _, status in calls.seen] == [200, 200, 429, 200]
    assert sandbox.now() > START  # the client's sleep let the server's window roll over


def test_rate_limited_beyond_the_cap_is_raised_with_its_retry_after(start):
    _, make_client = start(rate_limits=RateLimitTier("custom", 1, 1, 1))
    client = make_client(retry=RetryPolicy(max_attempts=4, deadline_s=120, retry_after_cap_s=5))
    client.whoami()
    with pytest.raises(errors.RateLimited) as caught:
        client.whoami()
    assert caught.value.status == 429
    assert caught.value.retry_after_s is not None
    assert caught.value.retry_after_s > 5


def test_kill_switch_is_raised_at_once_and_never_retried(start):
    _sandbox, make_client = start(faults=FaultConfig(kill_switch=True))
    calls = Calls()
    with pytest.raises(errors.KillSwitch) as caught:
        make_client(on_response=calls).whoami()
    assert (caught.value.status, caught.value.code) == (503, "KILL_SWITCH")
    assert len(calls.seen) == 1


@pytest.mark.parametrize(
    ("status", "code"), [(500, "INTERNAL"), (502, "BAD_GATEWAY"), (504, "GATEWAY_TIMEOUT")]
)
def test_server_errors_are_retried_up_to_the_attempt_limit(start, status, code):
    _, make_client = start(faults=FaultConfig(rate_5xx=1.0, statuses_5xx=(status,)))
    calls = Calls()
    with pytest.raises(errors.ServerError) as caught:
        make_client(on_response=calls).get_project(ACME)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert len(calls.seen) == 4


def test_connection_resets_become_connection_errors(start):
    _, make_client = start(faults=FaultConfig(rate_reset=1.0))
    calls = Calls()
    with pytest.raises(errors.LayersConnectionError):
        make_client(on_response=calls).whoami()
    assert [status for _, _, status in calls.seen] == [0, 0, 0, 0]


def test_a_late_answer_times_out_and_the_retry_is_a_replay_not_a_second_clone(start):
    sandbox, make_client = start(faults=FaultConfig(rate_late=1.0, late_delay_s=5.0))

    def sleep_then_heal(seconds: float) -> None:
        sandbox.set_faults(FaultConfig())

    client = make_client(timeout=httpx.Timeout(0.3), sleep=sleep_then_heal)
    container_id = _uuid()
    envelope = client.clone_from_post(
        container_id, project_id=ACME, source_platform_post_id=ACME_BREAKOUT, idempotency_key="late-1"
    )
    assert envelope.job_id
    outcomes = [entry.outcome.value for entry in sandbox.witness.entries(container_id=container_id)]
    assert outcomes == ["APPLIED", "REPLAYED"]


def test_a_late_answer_without_a_key_is_not_retried(start):
    sandbox, make_client = start(faults=FaultConfig(rate_late=1.0, late_delay_s=5.0))
    client = make_client(timeout=httpx.Timeout(0.3))
    with pytest.raises(errors.LayersTimeout):
        client.patch_project(ACME, {"tagline": "once"}, idempotency_key=None)
    assert len(sandbox.witness.entries(kind="project_update")) == 1


def test_malformed_json_is_a_contract_error_naming_the_endpoint(start):
    _, make_client = start(faults=FaultConfig(rate_malformed=1.0))
    calls = Calls()
    with pytest.raises(errors.ContractError) as caught:
        make_client(on_response=calls).top_performers(ACME, metric="views")
    assert caught.value.endpoint == "GET /v1/projects/{projectId}/top-performers"
    assert caught.value.field == "(body)"
    assert len(calls.seen) == 1


def test_schema_drift_is_tolerated(start):
    _, make_client = start(faults=FaultConfig(rate_drift=1.0, drift_kinds=("extra_field", "enum_value")))
    client = make_client()
    page = client.list_ads_content(ACME)
    assert page.model_extra is not None
    assert DRIFT_FIELD in page.model_extra
    assert page.items
    job = client.clone_from_post(
        _uuid(), project_id=ACME, source_platform_post_id=ACME_BREAKOUT, idempotency_key="drift-1"
    )
    assert job.job_id
    metrics = client.metrics(ACME, scope="project", id=ACME, since=START - timedelta(days=3), until=START)
    assert metrics.totals
