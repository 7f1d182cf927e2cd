"""Response models: tolerant of what may change, strict about what the agent needs."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from agent.layers import errors
from agent.layers.models import AdsMetricsRow, Container, Job, Recommendation, TopPerformersResponse
from agent.layers.transport import parse_response

from .conftest import Script, reply


def test_missing_required_field_names_the_endpoint_and_the_field(make_client):
    script = Script([reply(200, {"jobId": "job_1", "progress": 0.1}, {"x-request-id": "req_9"})])
    with pytest.raises(errors.ContractError) as caught:
        make_client(script).get_job("job_1")
    exc = caught.value
    assert exc.message == "GET /v1/jobs/{jobId}: field 'status' is required"
    assert (exc.endpoint, exc.field, exc.status, exc.request_id) == (
        "GET /v1/jobs/{jobId}",
        "status",
        200,
        "req_9",
    )


def test_wrong_type_in_a_nested_item_names_its_path(make_client):
    script = Script([reply(200, {"items": [{"rank": 1}, {"rank": "first"}]})])
    with pytest.raises(errors.ContractError) as caught:
        make_client(script).top_performers("prj_1", metric="views")
    assert caught.value.endpoint == "GET /v1/projects/{projectId}/top-performers"
    assert caught.value.field == "items.1.rank"
    assert "is invalid" in caught.value.message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"id": "prj_1", "na', "is not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "is not valid JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_contract_error(make_client, content, problem):
    script = Script([httpx.Response(200, content=content)])
    with pytest.raises(errors.ContractError) as caught:
        make_client(script).get_project("prj_1")
    assert caught.value.message == f"GET /v1/projects/{{projectId}}: field '(body)' {problem}"


def test_unknown_fields_are_kept_and_unknown_enum_values_pass_through():
    job = Job.model_validate(
        {"jobId": "j", "status": "paused_v2", "stage": "brand_new_stage", "sandboxDriftField": {"note": "x"}}
    )
    assert job.status == "paused_v2"
    assert not job.is_terminal
    assert job.model_extra == {"sandboxDriftField": {"note": "x"}}
    rec = Recommendation.model_validate({"recommendationId": "r", "kind": "future_kind", "confidence": 0.2})
    assert rec.kind == "future_kind"
    container = Container.model_validate({"id": "c", "status": "archived_v2", "format": "auto"})
    assert (container.status, container.format) == ("archived_v2", "auto")


def test_timestamps_are_always_aware():
    job = Job.model_validate(
        {
            "jobId": "j",
            "status": "completed",
            "startedAt": "2026-04-18T12:04:11",
            "finishedAt": "2026-04-18T14:07:33+02:00",
        }
    )
    assert job.started_at == datetime(2026, 4, 18, 12, 4, 11, tzinfo=UTC)
    assert job.finished_at == datetime(2026, 4, 18, 12, 7, 33, tzinfo=UTC)
    assert job.is_terminal


def test_ads_metrics_rows_default_missing_numbers():
    row = AdsMetricsRow.model_validate({"adId": "ad_1", "conversions": None, "cpa": None, "ctr": 0.02})
    assert (row.spend, row.impressions, row.conversions, row.cpa, row.roas) == (0, 0, 0, None, None)
    assert row.ctr == 0.02


def test_snake_case_names_are_accepted_too():
    response = TopPerformersResponse.model_validate({"items": [{"rank": 1, "platform_post_id": "pp_1"}]})
    assert response.items[0].platform_post_id == "pp_1"


def test_parse_response_on_a_direct_call():
    with pytest.raises(errors.ContractError, match="field 'confidence' is required"):
        parse_response(Recommendation, {"recommendationId": "r", "kind": "k"}, endpoint="GET /x")


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (b'{"organizationId": "org_1", "creditBalance": NaN}', "NaN"),
        (b'{"organizationId": "org_1", "creditBalance": Infinity}', "Infinity"),
        (b'{"organizationId": "org_1", "creditBalance": -Infinity}', "-Infinity"),
        (b'{"organizationId": "org_1", "creditBalance": 1e999}', "1e999"),
        (b'{"organizationId": "org_1", "extra": {"deep": [1, NaN]}}', "NaN"),
    ],
)
def test_a_non_finite_number_is_a_contract_error_and_is_not_retried(make_client, content, shown):
    script = Script([httpx.Response(200, content=content, headers={"x-request-id": "req_nan"})])
    with pytest.raises(errors.ContractError) as caught:
        make_client(script).whoami()
    exc = caught.value
    assert exc.message == f"GET /v1/whoami: field '(body)' has a number that is not finite ({shown})"
    assert (exc.endpoint, exc.field, exc.status, exc.request_id) == (
        "GET /v1/whoami",
        "(body)",
        200,
        "req_nan",
    )
    assert len(script.requests) == 1


def test_a_non_finite_number_never_reaches_a_suggested_action_caller_or_an_iterator(make_client):
    script = Script(
        [
            httpx.Response(202, content=b'{"jobId": "job_1", "progress": NaN}'),
            reply(200, {"items": [{"adsContentId": "01HX"}], "nextCursor": "n1"}),
            httpx.Response(200, content=b'{"items": [{"adsContentId": "02HX", "organicScore": Infinity}]}'),
        ]
    )
    client = make_client(script)
    with pytest.raises(errors.ContractError, match="not finite") as caught:
        client.call_relative("POST", "/v1/jobs/job_1/cancel", idempotency_key="k")
    assert caught.value.endpoint == "POST /v1/jobs/{jobId}/cancel"
    with pytest.raises(errors.ContractError, match="not finite") as caught:
        list(client.iter_ads_content("prj_1"))
    assert caught.value.endpoint == "GET /v1/projects/{projectId}/ads-content"


def test_an_error_body_with_a_non_finite_number_is_typed_by_its_status_alone(make_client):
    body = b'{"error": {"code": "NOT_FOUND", "message": "m", "details": {"score": NaN}}}'
    script = Script([httpx.Response(404, content=body, headers={"x-request-id": "req_hdr"})])
    with pytest.raises(errors.NotFound) as caught:
        make_client(script).get_project("prj_1")
    assert (caught.value.code, caught.value.details, caught.value.request_id) == ("NOT_FOUND", {}, "req_hdr")


def test_the_word_nan_inside_a_string_is_just_text(make_client):
    script = Script([reply(200, {"organizationId": "NaN", "organizationName": "Infinity"})])
    assert make_client(script).whoami().organization_id == "NaN"
