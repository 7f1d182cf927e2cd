"""Every status/code Layers can answer maps to one typed error carrying code, status and request id."""

from __future__ import annotations

import httpx
import pytest

from agent.layers import errors
from agent.layers.errors import error_from_response

from .conftest import API_KEY, Script, error, reply


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "UNAUTHENTICATED", errors.Unauthenticated),
        (403, "FORBIDDEN_SCOPE", errors.Forbidden),
        (403, "APPROVAL_REQUIRED", errors.Forbidden),
        (404, "NOT_FOUND", errors.NotFound),
        (409, "CONFLICT", errors.Conflict),
        (409, "IDEMPOTENCY_CONFLICT", errors.IdempotencyConflict),
        (409, "CONTENT_REJECTED", errors.Conflict),
        (422, "VALIDATION", errors.ValidationFailed),
        (400, "VALIDATION", errors.ValidationFailed),
        (429, "RATE_LIMITED", errors.RateLimited),
        (500, "INTERNAL", errors.ServerError),
        (502, "PLATFORM_ERROR", errors.ServerError),
        (503, None, errors.ServerError),
        (504, None, errors.ServerError),
        (503, "KILL_SWITCH", errors.KillSwitch),
        # no envelope or an unknown code: the status decides
        (400, None, errors.ValidationFailed),
        (401, None, errors.Unauthenticated),
        (409, "SOMETHING_NEW", errors.Conflict),
        (429, None, errors.RateLimited),
        (402, "INSUFFICIENT_CREDITS", errors.LayersError),
    ],
)
def test_status_and_code_map_to_one_class(status, code, expected):
    body = {"error": {"code": code, "message": "m", "requestId": "req_X", "details": {"a": 1}}}
    exc = error_from_response(status, body)
    assert type(exc) is expected
    assert exc.status == status
    assert exc.code == (code or expected.default_code)
    assert exc.request_id == "req_X"
    assert exc.details == {"a": 1}


def test_kill_switch_and_idempotency_conflict_are_not_their_transient_or_state_lookalikes():
    assert not issubclass(errors.KillSwitch, errors.ServerError)
    assert not issubclass(errors.IdempotencyConflict, errors.Conflict)
    assert issubclass(errors.LayersTimeout, errors.LayersConnectionError)


def test_request_id_falls_back_to_the_header_when_the_body_is_not_an_envelope():
    exc = error_from_response(502, "<html>bad gateway</html>", request_id="req_HDR")
    assert type(exc) is errors.ServerError
    assert exc.request_id == "req_HDR"
    assert exc.code == "SERVER_ERROR"


def test_structured_details_are_exposed():
    validation = error_from_response(
        422, {"error": {"code": "VALIDATION", "message": "bad", "details": {"issues": [{"path": "since"}]}}}
    )
    conflict = error_from_response(
        409,
        {"error": {"code": "CONFLICT", "message": "no", "details": {"subcode": "JOB_CANCEL_UNAVAILABLE"}}},
    )
    assert validation.issues == [{"path": "since"}]
    assert conflict.subcode == "JOB_CANCEL_UNAVAILABLE"


@pytest.mark.parametrize(
    ("answer", "expected", "status", "code"),
    [
        (error(401, "UNAUTHENTICATED"), errors.Unauthenticated, 401, "UNAUTHENTICATED"),
        (error(403, "FORBIDDEN_SCOPE"), errors.Forbidden, 403, "FORBIDDEN_SCOPE"),
        (error(404, "NOT_FOUND"), errors.NotFound, 404, "NOT_FOUND"),
        (error(409, "CONFLICT"), errors.Conflict, 409, "CONFLICT"),
        (error(409, "IDEMPOTENCY_CONFLICT"), errors.IdempotencyConflict, 409, "IDEMPOTENCY_CONFLICT"),
        (error(422, "VALIDATION"), errors.ValidationFailed, 422, "VALIDATION"),
        (error(400, "VALIDATION"), errors.ValidationFailed, 400, "VALIDATION"),
        (error(503, "KILL_SWITCH"), errors.KillSwitch, 503, "KILL_SWITCH"),
    ],
)
def test_the_client_raises_the_typed_error_once_without_retrying(
    make_client, clock, answer, expected, status, code
):
    script = Script([answer])
    with pytest.raises(expected) as caught:
        make_client(script).get_project("prj_1")
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (status, code, "req_01TEST")
    assert len(script.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("failure", "expected", "code"),
    [
        (httpx.ReadTimeout("slow"), errors.LayersTimeout, "TIMEOUT"),
        (httpx.ConnectTimeout("slow"), errors.LayersTimeout, "TIMEOUT"),
        (httpx.ConnectError("refused"), errors.LayersConnectionError, "CONNECTION_ERROR"),
        (httpx.RemoteProtocolError("reset"), errors.LayersConnectionError, "CONNECTION_ERROR"),
    ],
)
def test_transport_failures_become_connection_errors_after_the_retries(make_client, failure, expected, code):
    script = Script([failure])
    with pytest.raises(expected) as caught:
        make_client(script).whoami()
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert caught.value.status is None
    assert len(script.requests) == 5


def test_the_api_key_never_appears_in_an_error_message(make_client):
    echoed = f"key {API_KEY} is revoked; header was Bearer {API_KEY}"
    script = Script([error(401, "UNAUTHENTICATED", message=echoed)])
    with pytest.raises(errors.Unauthenticated) as caught:
        make_client(script).whoami()
    for text in (str(caught.value), repr(caught.value), caught.value.message, str(caught.value.args)):
        assert "SENTINEL" not in text


def test_contract_and_quota_errors_carry_their_context():
    contract = errors.ContractError("GET /v1/jobs/{jobId}", "status", status=200, request_id="req_1")
    quota = errors.QuotaExhausted("long-running", 12.5)
    assert str(contract.message) == "GET /v1/jobs/{jobId}: field 'status' is required"
    assert (contract.endpoint, contract.field, contract.request_id) == (
        "GET /v1/jobs/{jobId}",
        "status",
        "req_1",
    )
    assert (quota.endpoint_class, quota.retry_after_s, quota.code) == (
        "long-running",
        12.5,
        "QUOTA_EXHAUSTED",
    )


def test_a_200_is_never_an_error(make_client):
    script = Script([reply(200, {"organizationId": "org_1"})])
    assert make_client(script).whoami().organization_id == "org_1"
