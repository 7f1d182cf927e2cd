"""Rate limits and every injected fault kind, observed over real HTTP, with the witness log as proof."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from agent.sandbox import FaultConfig, RateLimitTier
from agent.sandbox.faults import DRIFT_FIELD

from .conftest import ACME, ACME_BREAKOUT, BRIGHT, clone


def _cid() -> str:
    return str(uuid.uuid4())


def test_tiny_custom_tier_answers_429_with_retry_after_until_the_window_rolls(start_sandbox):
    sandbox, client = start_sandbox(rate_limits=RateLimitTier("custom", 2, 1, 1))
    assert [client.get("/v1/whoami").status_code for _ in range(2)] == [200, 200]
    limited = client.get("/v1/whoami")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert limited.json()["error"]["requestId"] == limited.headers["X-Request-Id"]
    assert limited.headers["Retry-After"] == "30"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert client.patch(f"/v1/projects/{ACME}", json={"tagline": "a"}).status_code == 200
    assert client.patch(f"/v1/projects/{ACME}", json={"tagline": "b"}).status_code == 429
    sandbox.advance(30)
    assert client.get("/v1/whoami").status_code == 200


def test_disabled_limits_never_answer_429(start_sandbox):
    _, client = start_sandbox(rate_limits="disabled")
    assert {client.get("/v1/whoami").status_code for _ in range(150)} == {200}


def test_injected_429_applies_nothing(sandbox, client):
    sandbox.set_faults(FaultConfig(rate_429=1.0, retry_after_s=3))
    response = clone(client, _cid())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    (entry,) = sandbox.witness.entries(kind="clone")
    assert entry.outcome.value == "REJECTED"
    assert entry.fault == "http_429"
    assert sandbox.state.jobs == {}


def test_injected_5xx_happens_before_the_mutation_and_a_retry_applies_once(sandbox, client):
    cid = _cid()
    sandbox.set_faults(FaultConfig(rate_5xx=1.0, statuses_5xx=(502,)))
    failed = clone(client, cid)
    assert failed.status_code == 502
    assert failed.json()["error"]["code"] == "BAD_GATEWAY"
    assert failed.json()["error"]["requestId"] == failed.headers["X-Request-Id"]
    assert sandbox.witness.applied_clones(container_id=cid) == []
    sandbox.set_faults(FaultConfig())
    assert clone(client, cid).status_code == 202
    assert clone(client, cid).status_code == 202
    assert len(sandbox.witness.applied_clones(container_id=cid)) == 1


def test_connection_reset_sends_no_answer_and_applies_nothing(sandbox, client):
    cid = _cid()
    sandbox.set_faults(FaultConfig(rate_reset=1.0))
    with pytest.raises(httpx.TransportError):
        clone(client, cid)
    (entry,) = sandbox.witness.entries(container_id=cid)
    assert entry.fault == "reset"
    assert entry.outcome.value == "REJECTED"
    sandbox.set_faults(FaultConfig())
    assert clone(client, cid).status_code == 202
    assert len(sandbox.witness.applied_clones(container_id=cid)) == 1


def test_late_answer_applies_once_and_the_retry_is_replayed(sandbox, client):
    cid = _cid()
    headers = {"Idempotency-Key": f"clone-{cid}"}
    body = {"projectId": ACME, "sourcePlatformPostId": ACME_BREAKOUT}
    sandbox.set_faults(FaultConfig(rate_late=1.0, late_delay_s=2.0))
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"/v1/content/{cid}/clone-from-post", json=body, headers=headers, timeout=0.3)
    assert len(sandbox.witness.applied_clones(container_id=cid)) == 1
    sandbox.set_faults(FaultConfig())
    retry = client.post(f"/v1/content/{cid}/clone-from-post", json=body, headers=headers)
    assert retry.status_code == 202
    assert len(sandbox.witness.applied_clones(container_id=cid)) == 1
    assert [e.outcome.value for e in sandbox.witness.entries(container_id=cid)] == ["APPLIED", "REPLAYED"]
    assert sandbox.witness.entries(container_id=cid)[0].fault == "late"
    assert len(sandbox.state.jobs) == 1


def test_late_answer_does_arrive_after_the_delay(sandbox, client):
    sandbox.set_faults(FaultConfig(rate_late=1.0, late_delay_s=0.3))
    started = time.monotonic()
    response = client.patch(f"/v1/projects/{ACME}", json={"tagline": "late"})
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert client.get("/v1/whoami").status_code == 200


def test_malformed_json_only_on_gets(sandbox, client):
    sandbox.set_faults(FaultConfig(rate_malformed=1.0))
    response = client.get(f"/v1/projects/{ACME}")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert clone(client, _cid()).json()["status"] == "running"


def test_schema_drift_adds_unknown_fields(sandbox, client):
    sandbox.set_faults(FaultConfig(rate_drift=1.0, drift_kinds=("extra_field",)))
    body = client.get(f"/v1/projects/{BRIGHT}/recommendations").json()
    assert DRIFT_FIELD in body
    assert all(DRIFT_FIELD in item for item in body["items"])


def test_schema_drift_renames_an_enum_value(sandbox, client):
    job = clone(client, _cid()).json()
    sandbox.set_faults(FaultConfig(rate_drift=1.0, drift_kinds=("enum_value",), seed=3))
    drifted = client.get(job["locationUrl"]).json()
    assert drifted["stage"].endswith("_v2") or drifted["kind"].endswith("_v2")
    container = client.get(f"/v1/content/{job['containerId']}").json()
    assert container["status"] == "queued_v2" or container["approvalStatus"] == "pending_v2"


def test_latency_is_added(sandbox, client):
    sandbox.set_faults(FaultConfig(latency_ms=150))
    started = time.monotonic()
    assert client.get("/v1/whoami").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_faults_can_target_one_route(sandbox, client):
    sandbox.set_faults(FaultConfig(rate_5xx=1.0, path_pattern="/clone-from-post$", methods=("POST",)))
    assert client.get("/v1/whoami").status_code == 200
    assert clone(client, _cid()).status_code >= 500


def _statuses(client: httpx.Client) -> list[int]:
    return [client.get("/v1/whoami").status_code for _ in range(20)]


def test_seeded_fault_sequences_are_reproducible(start_sandbox):
    runs = []
    for seed in (7, 7, 8):
        _, client = start_sandbox(faults=FaultConfig(seed=seed, rate_5xx=0.5), rate_limits="disabled")
        runs.append(_statuses(client))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert set(runs[0]) >= {200}
    assert any(status >= 500 for status in runs[0])


def test_setting_faults_restarts_the_sequence(sandbox, client):
    config = FaultConfig(seed=11, rate_5xx=0.5)
    sandbox.set_faults(config)
    first = _statuses(client)
    client.post("/_sandbox/faults", json={"seed": 11, "rate5xx": 0.5})
    assert _statuses(client) == first


def test_stalled_jobs_freeze_until_released(sandbox, client):
    job = clone(client, _cid()).json()
    sandbox.advance(1)
    sandbox.set_faults(FaultConfig(stall_jobs=True))
    frozen = client.get(job["locationUrl"]).json()
    sandbox.advance(60)
    assert client.get(job["locationUrl"]).json() == frozen
    sandbox.set_faults(FaultConfig())
    sandbox.advance(3)
    done = client.get(job["locationUrl"]).json()
    assert done["status"] == "completed"
    assert done["finishedAt"] == "2026-04-20T12:01:34.000Z"


def test_admin_endpoints_ignore_faults_and_validate_settings(sandbox, client):
    sandbox.set_faults(FaultConfig(rate_5xx=1.0, kill_switch=True))
    assert client.get("/_sandbox/state").status_code == 200
    bad = client.post("/_sandbox/faults", json={"rate5xx": 2})
    assert bad.status_code == 422
    assert client.post("/_sandbox/faults", json={"unknownKnob": 1}).status_code == 422
