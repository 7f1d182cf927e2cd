"""Auth, the error envelope, request ids, route classes and the kill switch."""

from __future__ import annotations

import re

import httpx

from agent.sandbox import FaultConfig

from .conftest import ACME, API_KEY

REQUEST_ID = re.compile(r"^req_[0-9A-Z]{26}$")


def _assert_envelope(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert REQUEST_ID.match(error["requestId"])
    assert error["requestId"] == response.headers["X-Request-Id"]
    return error


def test_missing_key_is_401_unauthenticated(anon):
    _assert_envelope(anon.get("/v1/whoami"), 401, "UNAUTHENTICATED")


def test_malformed_or_live_key_is_401(anon):
    for key in ("nope", "lp_live_abc_secret", "lp_test_only-two"):
        response = anon.get("/v1/whoami", headers={"Authorization": f"Bearer {key}"})
        _assert_envelope(response, 401, "UNAUTHENTICATED")


def test_x_api_key_header_is_accepted_and_wins_over_bearer(anon):
    assert anon.get("/v1/whoami", headers={"X-Api-Key": API_KEY}).status_code == 200
    both = anon.get("/v1/whoami", headers={"X-Api-Key": "garbage", "Authorization": f"Bearer {API_KEY}"})
    assert both.status_code == 401


def test_allowlisted_keys_only_when_configured(start_sandbox):
    _, client = start_sandbox(api_keys=["lp_test_other_key"])
    assert client.get("/v1/whoami").status_code == 401
    assert client.get("/v1/whoami", headers={"Authorization": "Bearer lp_test_other_key"}).status_code == 200


def test_whoami_shape(client):
    body = client.get("/v1/whoami").json()
    assert body["organizationId"].startswith("org_")
    assert body["workspaceId"] == body["organizationId"]
    assert body["rateLimitTier"] == "standard"
    assert body["apiKeyId"].startswith("key_")
    assert isinstance(body["creditBalance"], int)
    assert body["scopes"] == ["*"]


def test_credits_shape(client):
    body = client.get("/v1/credits").json()
    assert body["available"] == body["balance"]
    assert body["estimatedCreditsPerFormat"]["video_remix"] == 120


def test_unknown_route_is_404_envelope(client):
    _assert_envelope(client.get("/v1/nothing-here"), 404, "NOT_FOUND")
    _assert_envelope(client.delete(f"/v1/projects/{ACME}"), 404, "NOT_FOUND")


def test_every_response_carries_a_request_id_and_endpoint_class(client, anon):
    responses = {
        "read-light": [client.get("/v1/whoami"), client.get("/v1/nothing"), anon.get("/v1/projects")],
        "write-light": [client.patch(f"/v1/projects/{ACME}", json={"tagline": "Hi"})],
        "long-running": [client.post(f"/v1/projects/{ACME}/content", json={"format": "auto"})],
    }
    seen = set()
    for endpoint_class, batch in responses.items():
        for response in batch:
            request_id = response.headers["X-Request-Id"]
            assert REQUEST_ID.match(request_id)
            seen.add(request_id)
            assert response.headers["X-RateLimit-Endpoint-Class"] == endpoint_class
    assert len(seen) == 5


def test_rate_limit_state_headers_on_success(client):
    first = client.get("/v1/whoami")
    second = client.get("/v1/whoami")
    assert first.headers["X-RateLimit-Limit"] == "120"
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    assert int(first.headers["X-RateLimit-Reset"]) >= 1


def test_kill_switch_answers_503_everywhere_including_whoami(sandbox, client):
    sandbox.set_faults(FaultConfig(kill_switch=True))
    for response in (
        client.get("/v1/whoami"),
        client.get(f"/v1/projects/{ACME}"),
        client.post("/v1/projects"),
    ):
        _assert_envelope(response, 503, "KILL_SWITCH")
    sandbox.set_faults(FaultConfig())
    assert client.get("/v1/whoami").status_code == 200


def test_kill_switch_via_admin_endpoint(client):
    assert client.post("/_sandbox/faults", json={"killSwitch": True}).json()["kill_switch"] is True
    _assert_envelope(client.get("/v1/whoami"), 503, "KILL_SWITCH")
    client.delete("/_sandbox/faults")
    assert client.get("/v1/whoami").status_code == 200
