"""What LayersClient sends for each endpoint, and what it makes of the answers."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import structlog
from pydantic import SecretStr

from agent.config import Settings
from agent.layers import InMemoryRateLimiter, LayersClient, errors
from agent.layers.routes import EndpointClass
from agent.logging import configure_logging
from agent.rules.actions import UnsafeSuggestedAction

from .conftest import API_KEY, BASE_URL, Script, error, reply

PROJECT = {"id": "prj_1", "name": "Acme", "status": "active", "createdAt": "2026-04-10T09:14:22Z"}
ENVELOPE = {
    "jobId": "job_01",
    "kind": "content_generate",
    "status": "running",
    "containerId": "cnt_a",
    "containerIds": ["cnt_a", "cnt_b"],
    "locationUrl": "/v1/jobs/job_01",
}
SINCE = datetime(2026, 4, 10, tzinfo=UTC)
UNTIL = datetime(2026, 4, 17, 2, 0, tzinfo=timezone(timedelta(hours=2)))


def only(script: Script) -> httpx.Request:
    (request,) = script.requests
    return request


def test_auth_user_agent_and_no_key_in_the_url(make_client):
    script = Script([reply(200, {"organizationId": "org_1", "scopes": ["*"]}, {"x-request-id": "req_ok"})])
    who = make_client(script).whoami()
    request = only(script)
    assert who.scopes == ["*"]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert "x-api-key" not in request.headers
    assert request.headers["user-agent"].startswith("growth-agent/")
    assert str(request.url) == f"{BASE_URL}/v1/whoami"
    assert API_KEY not in str(request.url)


def test_create_project_posts_camel_case_fields(make_client):
    script = Script([reply(201, PROJECT)])
    project = make_client(script).create_project(
        name="Acme",
        timezone="America/Los_Angeles",
        customer_external_id="acme",
        idempotency_key="k1",
        app_description="x" * 100,
        brandVoice="warm",
    )
    request = only(script)
    assert (request.method, request.url.path) == ("POST", "/v1/projects")
    assert script.body() == {
        "name": "Acme",
        "timezone": "America/Los_Angeles",
        "customerExternalId": "acme",
        "appDescription": "x" * 100,
        "brandVoice": "warm",
    }
    assert request.headers["idempotency-key"] == "k1"
    assert request.headers["content-type"] == "application/json"
    assert project.created_at == datetime(2026, 4, 10, 9, 14, 22, tzinfo=UTC)


def test_get_and_patch_project(make_client):
    script = Script([reply(200, PROJECT), reply(200, {**PROJECT, "name": "New"})])
    client = make_client(script)
    assert client.get_project("prj_1").name == "Acme"
    assert client.patch_project("prj_1", {"brand": {"x": 1}}, idempotency_key="k").name == "New"
    get, patch = script.requests
    assert (get.method, get.url.path) == ("GET", "/v1/projects/prj_1")
    assert (patch.method, patch.url.path, script.body(1)) == (
        "PATCH",
        "/v1/projects/prj_1",
        {"brand": {"x": 1}},
    )


def test_ids_are_percent_encoded_and_cannot_add_path_segments(make_client):
    script = Script([reply(200, PROJECT)])
    make_client(script).get_project("../admin?x=1")
    assert only(script).url.raw_path == b"/v1/projects/..%2Fadmin%3Fx%3D1"


def test_iter_projects_follows_next_cursor(make_client):
    script = Script(
        [
            reply(200, {"items": [PROJECT, {**PROJECT, "id": "prj_2"}], "nextCursor": "c1"}),
            reply(200, {"items": [{**PROJECT, "id": "prj_3"}], "nextCursor": None}),
        ]
    )
    ids = [p.id for p in make_client(script).iter_projects(customer_external_id="acme", limit=2)]
    assert ids == ["prj_1", "prj_2", "prj_3"]
    first, second = (dict(r.url.params) for r in script.requests)
    assert first == {"customerExternalId": "acme", "limit": "2"}
    assert second == {"customerExternalId": "acme", "limit": "2", "cursor": "c1"}


def test_a_repeating_cursor_is_a_contract_error_not_an_endless_loop(make_client):
    script = Script([reply(200, {"items": [PROJECT], "nextCursor": "same"})])
    with pytest.raises(errors.ContractError, match="nextCursor"):
        list(make_client(script).iter_projects())
    assert len(script.requests) == 2


def test_an_iterator_sends_nothing_until_it_is_read_and_may_start_from_a_cursor(make_client):
    script = Script([reply(200, {"items": [PROJECT], "nextCursor": None})])
    projects = make_client(script).iter_projects(cursor="c7", limit=1)
    assert script.requests == []
    assert [p.id for p in projects] == ["prj_1"]
    assert dict(only(script).url.params) == {"cursor": "c7", "limit": "1"}


def test_metrics_sends_full_utc_datetimes_and_repeated_metrics(make_client):
    body = {
        "scope": "project",
        "id": "prj_1",
        "window": {"since": "2026-04-10T00:00:00Z", "until": "2026-04-17T00:00:00Z", "granularity": "day"},
        "series": [{"bucket": "2026-04-10", "views": 3120, "engagement_rate": 0.038}],
        "totals": {"views": 48210, "post_count": 23},
    }
    script = Script([reply(200, body)])
    response = make_client(script).metrics(
        "prj_1", scope="project", id="prj_1", metrics=["views", "engagement_rate"], since=SINCE, until=UNTIL
    )
    request = only(script)
    assert request.url.path == "/v1/projects/prj_1/metrics"
    assert request.url.params.get_list("metrics") == ["views", "engagement_rate"]
    assert request.url.params["since"] == "2026-04-10T00:00:00Z"
    assert request.url.params["until"] == "2026-04-17T00:00:00Z"
    assert "granularity" not in request.url.params
    assert response.series[0].views == 3120
    assert response.series[0].engagement_rate == 0.038
    assert response.totals["post_count"] == 23


def test_naive_datetimes_are_refused(make_client):
    script = Script([reply(200, {})])
    with pytest.raises(ValueError, match="timezone-aware"):
        make_client(script).metrics("prj_1", scope="project", id="prj_1", since=datetime(2026, 4, 10))
    assert script.requests == []


def test_top_performers_query(make_client):
    body = {
        "metric": "engagement_rate",
        "window": "7d",
        "items": [{"rank": 1, "metricValue": 0.08, "paid": None}],
    }
    script = Script([reply(200, body)])
    response = make_client(script).top_performers(
        "prj_1",
        metric="engagement_rate",
        window="7d",
        limit=5,
        include_ineligible=True,
        source_type=["platform_post"],
    )
    params = only(script).url.params
    assert dict(params) == {
        "metric": "engagement_rate",
        "window": "7d",
        "limit": "5",
        "includeIneligible": "true",
        "sourceType": "platform_post",
    }
    assert response.items[0].metric_value == 0.08
    assert response.items[0].paid is None


def test_ads_content_pages_and_patch(make_client):
    item = {"adsContentId": "01HX", "eligibility": {"isEligible": True, "reason": "ok"}, "override": None}
    script = Script(
        [
            reply(200, {"items": [item], "nextCursor": "n1"}),
            reply(200, {"items": [{**item, "adsContentId": "02HX"}], "nextCursor": None}),
            reply(200, {**item, "override": "exclude", "overrideNote": "legal"}),
        ]
    )
    client = make_client(script)
    items = list(client.iter_ads_content("prj_1", eligible=True, sort="score_desc", limit=1))
    patched = client.patch_ads_content("prj_1", "01HX", override="exclude", note="legal", idempotency_key="k")
    assert [i.ads_content_id for i in items] == ["01HX", "02HX"]
    assert items[0].eligibility is not None
    assert items[0].eligibility.is_eligible
    assert dict(script.requests[0].url.params) == {"eligible": "true", "sort": "score_desc", "limit": "1"}
    patch = script.requests[2]
    assert (patch.method, patch.url.path) == ("PATCH", "/v1/projects/prj_1/ads-content/01HX")
    assert script.body(2) == {"override": "exclude", "note": "legal"}
    assert patched.override == "exclude"


def test_clearing_an_override_sends_null(make_client):
    script = Script([reply(200, {"adsContentId": "01HX", "override": None})])
    make_client(script).patch_ads_content("prj_1", "01HX", override=None, idempotency_key="k")
    assert script.body() == {"override": None}


def test_ads_metrics_grouped_by_ad(make_client):
    body = {"series": [{"adId": "ad_1", "spend": 61.0, "conversions": 0}, {"adId": "ad_2", "spend": None}]}
    script = Script([reply(200, body)])
    response = make_client(script).ads_metrics(
        "prj_1", since=SINCE, until=SINCE + timedelta(days=7), group_by="ad", metrics=["spend", "conversions"]
    )
    params = only(script).url.params
    assert params["groupBy"] == "ad"
    assert params["until"] == "2026-04-17T00:00:00Z"
    assert "scope" not in params
    worry = [row.ad_id for row in response.series if row.spend > 50 and row.conversions == 0]
    assert worry == ["ad_1"]
    assert (response.series[1].spend, response.series[1].impressions, response.series[1].cpa) == (0, 0, None)


def test_recommendations_iterate_and_filter(make_client):
    rec = {"recommendationId": "rec_1", "kind": "refresh_fatigued", "confidence": 0.86, "status": "open"}
    script = Script(
        [
            reply(200, {"items": [rec], "nextCursor": "n"}),
            reply(200, {"items": [{**rec, "recommendationId": "rec_2"}]}),
        ]
    )
    recs = list(
        make_client(script).iter_recommendations("prj_1", status="open", kind=["a", "b"], min_confidence=0.5)
    )
    assert [r.recommendation_id for r in recs] == ["rec_1", "rec_2"]
    params = script.requests[0].url.params
    assert params["status"] == "open"
    assert params.get_list("kind") == ["a", "b"]
    assert params["minConfidence"] == "0.5"


def test_clone_from_post(make_client):
    script = Script([reply(202, ENVELOPE)])
    envelope = make_client(script).clone_from_post(
        "cnt_new",
        project_id="prj_1",
        source_platform_post_id="pp_1",
        variations=2,
        overrides={"caption": "hi"},
        idempotency_key="k",
    )
    request = only(script)
    assert (request.method, request.url.path) == ("POST", "/v1/content/cnt_new/clone-from-post")
    assert script.body() == {
        "projectId": "prj_1",
        "sourcePlatformPostId": "pp_1",
        "mode": "fork",
        "variations": 2,
        "overrides": {"caption": "hi"},
    }
    assert envelope.job_id == "job_01"
    assert envelope.all_container_ids == ["cnt_a", "cnt_b"]


def test_generate_content_puts_the_container_id_in_the_body(make_client):
    script = Script([reply(202, ENVELOPE)])
    make_client(script).generate_content(
        "prj_1",
        container_id="cnt_x",
        brief={"hook": "h"},
        variant_count=2,
        format="video_remix",
        idempotency_key="k",
    )
    assert only(script).url.path == "/v1/projects/prj_1/content"
    assert script.body() == {
        "id": "cnt_x",
        "brief": {"hook": "h"},
        "variantCount": 2,
        "format": "video_remix",
    }


def test_get_content_normalises_gen_a_spellings(make_client):
    script = Script(
        [reply(200, {"id": "cnt_1", "status": "generating", "format": "ugc_remix", "assets": []})]
    )
    container = make_client(script).get_content("cnt_1")
    assert only(script).url.path == "/v1/content/cnt_1"
    assert (container.status, container.format) == ("processing", "ugc-remix")


def test_get_job_with_etag_and_304(make_client):
    running = {"jobId": "job_1", "status": "running", "progress": 0.4, "stage": "generating_visuals"}
    script = Script([reply(200, running, {"etag": '"v1"'}), httpx.Response(304, headers={"etag": '"v1"'})])
    client = make_client(script)
    first = client.get_job("job_1")
    second = client.get_job("job_1", etag=first.etag)
    assert first.job is not None
    assert first.job.progress == 0.4
    assert not first.job.is_terminal
    assert (first.etag, first.not_modified) == ('"v1"', False)
    assert (second.job, second.etag, second.not_modified) == (None, '"v1"', True)
    assert "if-none-match" not in script.requests[0].headers
    assert script.requests[1].headers["if-none-match"] == '"v1"'


def test_a_failed_job_exposes_its_error(make_client):
    failed = {"jobId": "job_1", "status": "failed", "error": {"code": "X", "message": "boom"}}
    script = Script([reply(200, failed)])
    job = make_client(script).get_job("job_1").job
    assert job is not None
    assert job.is_terminal
    assert job.error is not None
    assert job.error.message == "boom"


def test_cancel_job_both_answers(make_client):
    script = Script(
        [
            reply(202, {"jobId": "job_1", "accepted": True}),
            reply(200, {"jobId": "job_1", "accepted": False, "reason": "ALREADY_COMPLETED"}),
        ]
    )
    client = make_client(script)
    assert client.cancel_job("job_1", idempotency_key="k1").accepted
    assert client.cancel_job("job_1", idempotency_key="k2").reason == "ALREADY_COMPLETED"
    assert script.requests[0].url.path == "/v1/jobs/job_1/cancel"
    assert script.requests[0].content == b""


def test_a_409_cancel_refusal_carries_its_subcode(make_client):
    script = Script([error(409, "CONFLICT", details={"subcode": "JOB_CANCEL_UNAVAILABLE"})])
    with pytest.raises(errors.Conflict) as caught:
        make_client(script).cancel_job("job_1", idempotency_key="k")
    assert caught.value.subcode == "JOB_CANCEL_UNAVAILABLE"


def test_call_relative_executes_a_suggested_action_on_the_configured_base(make_client):
    script = Script([reply(202, ENVELOPE)])
    limiter_classes: list[EndpointClass] = []

    class Limiter:
        def acquire(self, endpoint_class: EndpointClass) -> None:
            limiter_classes.append(endpoint_class)

        def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
            raise AssertionError("no 429 here")

    answer = make_client(script, limiter=Limiter()).call_relative(
        "post", "/v1/projects/prj_1/content/clone-from-post", body={"variations": 3}, idempotency_key="k"
    )
    request = only(script)
    assert str(request.url) == f"{BASE_URL}/v1/projects/prj_1/content/clone-from-post"
    assert request.headers["idempotency-key"] == "k"
    assert answer["jobId"] == "job_01"
    assert limiter_classes == [EndpointClass.LONG_RUNNING]


@pytest.mark.parametrize(
    "path", ["https://evil.example/v1/x", "//evil.example/v1/x", "/v1/../admin", "/v1/%2e%2e/x", "/v1/x?y=1"]
)
def test_call_relative_refuses_unsafe_paths_without_sending(make_client, path):
    script = Script([reply(200, {})])
    with pytest.raises(UnsafeSuggestedAction):
        make_client(script).call_relative("PATCH", path, body={}, idempotency_key="k")
    assert script.requests == []


@pytest.mark.parametrize("method", ["TRACE", "HEAD", "OPTIONS", "trace", "", None])
def test_call_relative_refuses_unknown_methods_without_sending(make_client, method):
    script = Script([reply(200, {})])
    with pytest.raises(UnsafeSuggestedAction, match="method must be one of"):
        make_client(script).call_relative(method, "/v1/x", idempotency_key=None)
    assert script.requests == []


def test_on_response_hook_sees_every_attempt_with_route_templates(make_client):
    seen: list[tuple[str, str, int]] = []
    script = Script([error(502, None), httpx.ConnectError("reset"), reply(200, PROJECT)])
    client = make_client(script, on_response=lambda m, r, s, e: seen.append((m, r, s)))
    client.get_project("prj_secret_id")
    route = "/v1/projects/{projectId}"
    assert seen == [("GET", route, 502), ("GET", route, 0), ("GET", route, 200)]


def test_calls_are_logged_at_debug_with_no_headers_or_key(make_client):
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    try:
        script = Script([error(500, None), reply(200, PROJECT, {"x-request-id": "req_42"})])
        make_client(script).get_project("prj_1")
    finally:
        structlog.reset_defaults()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    calls = [line for line in lines if line["event"] == "layers.call"]
    assert [(c["status"], c["attempt"]) for c in calls] == [(500, 1), (200, 2)]
    assert calls[1]["request_id"] == "req_42"
    assert calls[1]["route"] == "/v1/projects/{projectId}"
    assert {"method", "elapsed_s"} <= calls[1].keys()
    assert "SENTINEL" not in stream.getvalue()
    assert "authorization" not in stream.getvalue().lower()


def test_the_key_is_not_in_repr_or_vars(make_client):
    client = make_client(Script([]))
    assert "SENTINEL" not in repr(client)
    assert "SENTINEL" not in str(vars(client))
    assert "SENTINEL" not in str(vars(client._transport))


def test_from_settings_builds_an_owned_pool_with_explicit_timeouts():
    settings = Settings(
        layers_api_key=SecretStr(API_KEY),
        layers_base_url="https://api.layers.test/",
        http_timeout_s=7,
        http_connect_timeout_s=2,
    )
    with LayersClient.from_settings(settings) as client:
        transport = client._transport
        assert transport.base_url == "https://api.layers.test"
        assert transport.timeout == httpx.Timeout(7, connect=2)
        assert isinstance(transport.limiter, InMemoryRateLimiter)
        assert transport.retry.max_attempts == settings.http_max_attempts
        http = transport.http
    assert http.is_closed


def test_a_pool_passed_in_is_left_open(make_client):
    http = httpx.Client(transport=httpx.MockTransport(Script([])))
    with make_client(Script([]), http=http):
        pass
    assert not http.is_closed
    http.close()
