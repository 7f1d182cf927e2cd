"""The sandbox's webhooks over real HTTP (CONTRACT §22-23): endpoint management, the events it emits when a
job settles and a container is reviewed, signed deliveries, the retry ladder and the delivery faults."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import typer
from typer.testing import CliRunner

from agent.sandbox import FaultConfig, Sandbox
from agent.sandbox.cli import sandbox_command
from tests.support.webhooks import Recorder

KEY = "lp_test_hooks_s3cretValue"
ACME = "prj_00000003-0000-4000-8000-000000000000"
ACME_BREAKOUT = "pp_00000003-0001-4000-8000-000000000000"
STORMY = "prj_00000009-0000-4000-8000-000000000000"
STORMY_BREAKOUT = "pp_00000009-0001-4000-8000-000000000000"
HANDLED = ["job.completed", "job.failed", "job.canceled", "content.approved", "content.rejected"]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder() as rec:
        yield rec


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, httpx.Client]]:
    # Jobs of a fiftieth of their scenario length (the demo's 4 s become 80 ms); the ladder likewise.
    sandbox = Sandbox.from_demo(rate_limits="disabled", job_duration_scale=0.02)
    with (
        sandbox.serve() as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=5
        ) as client,
    ):
        yield sandbox, client


def register(
    client: httpx.Client, url: str, events=HANDLED, key: str = "0b6f4c1e-0000-4e8b-9f21-7a3c5d9e1b40"
):
    response = client.post(
        "/v1/webhook-endpoints", json={"url": url, "events": events}, headers={"Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    return response.json()


def clone(client: httpx.Client, n: int, project: str = ACME, source: str = ACME_BREAKOUT) -> dict:
    container = f"cnt_11111111-1111-4111-8111-{n:012d}"
    body = {"projectId": project, "sourcePlatformPostId": source, "variations": 1}
    response = client.post(f"/v1/content/{container}/clone-from-post", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def valid(received, secret: str) -> bool:
    signature = received.headers["x-layers-signature"]
    t = signature.split(",")[0].removeprefix("t=")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + received.body, hashlib.sha256).hexdigest()
    return f"v1={expected}" in signature.split(",")[1:] and abs(time.time() - int(t)) < 60


def test_create_shows_the_secret_once_and_a_replayed_key_returns_the_same_endpoint(served):
    _, client = served
    created = register(client, "https://example.test/hook")
    endpoint, secret = created["endpoint"], created["signingSecret"]
    assert secret.startswith("whsec_")
    assert (endpoint["url"], endpoint["events"], endpoint["status"]) == (
        "https://example.test/hook",
        HANDLED,
        "active",
    )
    assert register(client, "https://example.test/hook") == created  # the same key: the stored answer
    fetched = client.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()
    listed = client.get("/v1/webhook-endpoints").json()["items"]
    assert fetched == endpoint
    assert listed == [endpoint]
    assert secret not in str(fetched) + str(listed)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"events": ["job.completed"]}, "url"),
        ({"url": "ftp://example.test", "events": ["job.completed"]}, "url"),
        ({"url": "https://example.test", "events": []}, "events"),
        ({"url": "https://example.test", "events": ["ads.decision"]}, "events"),
        ({"url": "https://example.test", "events": ["job.completed"], "colour": "red"}, "colour"),
    ],
)
def test_a_bad_registration_is_422_naming_the_field(served, body, path):
    _, client = served
    response = client.post("/v1/webhook-endpoints", json=body)
    assert response.status_code == 422
    assert path in [issue["path"] for issue in response.json()["error"]["details"]["issues"]]


def test_an_unknown_endpoint_is_404(served):
    _, client = served
    assert client.get("/v1/webhook-endpoints/7d0c8a52-0000-4000-8000-000000000000").status_code == 404
    assert (
        client.post("/v1/webhook-endpoints/7d0c8a52-0000-4000-8000-000000000000/rotate-secret").status_code
        == 404
    )


def test_a_settled_job_is_delivered_signed_with_what_a_poll_of_the_job_says(served, recorder):
    _, client = served
    secret = register(client, recorder.url)["signingSecret"]
    done, failed = clone(client, 1), clone(client, 2, STORMY, STORMY_BREAKOUT)  # Stormy's clone fails
    completed = recorder.wait_for(1, "job.completed")
    failures = recorder.wait_for(1, "job.failed")
    assert completed[0]["data"]["jobId"] == done["jobId"]
    assert completed[0]["data"]["result"]["containerId"] == done["containerId"]
    assert failures[0]["data"]["jobId"] == failed["jobId"]
    assert failures[0]["data"]["error"]["code"] == "SOURCE_UNAVAILABLE"
    poll = client.get(f"/v1/jobs/{done['jobId']}").json()
    assert completed[0]["data"] == poll
    for received in recorder.received:
        assert received.headers["x-layers-event-id"] == received.event["id"]
        assert valid(received, secret)
    assert recorder.events("content.generated") == []  # not subscribed


def test_reviews_are_delivered_with_who_and_why(served, recorder):
    _, client = served
    register(client, recorder.url)
    first, second = clone(client, 1), clone(client, 2)
    recorder.wait_for(2, "job.completed")
    assert client.post(f"/v1/content/{first['containerId']}/approve", json={}).status_code == 200
    assert (
        client.post(f"/v1/content/{second['containerId']}/reject", json={"reason": "Off-brand."}).status_code
        == 200
    )
    (approved,) = recorder.wait_for(1, "content.approved")
    (rejected,) = recorder.wait_for(1, "content.rejected")
    assert approved["data"]["id"] == first["containerId"]
    assert approved["data"]["projectId"] == ACME
    assert approved["data"]["approvedBy"].startswith("api_key_")
    assert (rejected["data"]["id"], rejected["data"]["reason"]) == (second["containerId"], "Off-brand.")
    client.post(f"/v1/content/{first['containerId']}/approve", json={})  # already approved: no new event
    flush(client, recorder)
    assert len(recorder.events("content.approved")) == 1


def flush(client: httpx.Client, recorder: Recorder) -> None:
    """Deliveries go out one at a time, oldest first: once a ping sent now arrives, every earlier event has."""
    (endpoint,) = client.get("/v1/webhook-endpoints").json()["items"]
    ping = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    deadline = time.monotonic() + 10
    while ping["eventId"] not in [event["id"] for event in recorder.events()]:
        assert time.monotonic() < deadline, "the ping never arrived"
        time.sleep(0.02)


def test_the_test_route_pings_one_endpoint_whatever_it_subscribes_to(served, recorder):
    _, client = served
    endpoint = register(client, recorder.url, events=["job.completed"])["endpoint"]
    answer = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    (ping,) = recorder.wait_for(1, "test.ping")
    assert ping["id"] == answer["eventId"]
    assert ping["data"]["endpointId"] == endpoint["id"]


def test_a_failed_delivery_is_retried_on_the_scaled_ladder_with_the_same_event_id(served):
    _, client = served
    with Recorder(statuses=(503, 500)) as flaky:
        endpoint = register(client, flaky.url)["endpoint"]
        client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
        flaky.wait_for(3)  # 0 s, then 30 s and 60 s of the ladder, times 0.02
        ids = {r.event["id"] for r in flaky.received}
        deliveries = client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json()["items"]
    assert len(ids) == 1
    assert [(d["status"], d["attempts"], d["lastResponseStatus"]) for d in deliveries] == [
        ("delivered", 3, 200)
    ]


def test_after_a_rotation_deliveries_carry_both_signatures(served, recorder):
    _, client = served
    created = register(client, recorder.url)
    rotated = client.post(f"/v1/webhook-endpoints/{created['endpoint']['id']}/rotate-secret").json()
    assert rotated["signingSecret"] != created["signingSecret"]
    assert rotated["previousSecretExpiresAt"]
    clone(client, 1)
    recorder.wait_for(1, "job.completed")
    (received,) = [r for r in recorder.received if r.event["type"] == "job.completed"]
    assert received.headers["x-layers-signature"].count("v1=") == 2
    assert valid(received, created["signingSecret"])
    assert valid(received, rotated["signingSecret"])


def test_delivery_faults_set_at_runtime_drop_and_duplicate(served, recorder):
    sandbox, client = served
    register(client, recorder.url)
    assert client.post("/_sandbox/faults", json={"rateWebhookDrop": 1.0}).status_code == 200
    clone(client, 1)
    deadline = time.monotonic() + 10
    while not client.get("/_sandbox/webhooks").json()["items"]:
        assert time.monotonic() < deadline, "the job never settled"
        time.sleep(0.02)
    (dropped,) = client.get("/_sandbox/webhooks").json()["items"]
    assert (dropped["status"], dropped["sandboxFault"]) == ("abandoned", "dropped")
    assert recorder.events() == []
    sandbox.set_faults(FaultConfig(rate_webhook_duplicate=1.0))
    clone(client, 2)
    twice = recorder.wait_for(2, "job.completed")
    assert twice[0] == twice[1]


def test_the_command_line_registers_an_endpoint_from_its_environment_with_the_faults_it_was_given(recorder):
    """What compose does: SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_SECRET, and the webhook fault flags."""
    env = {**os.environ, "SANDBOX_WEBHOOK_URL": recorder.url, "SANDBOX_WEBHOOK_SECRET": "whsec_from_env"}
    argv = [sys.executable, "-m", "agent.sandbox", "--port", "0", "--fault-webhook-duplicate", "1"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split(" on ")[1].split(" ")[0]
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=5) as client:
            assert client.get("/_sandbox/faults").json()["rate_webhook_duplicate"] == 1.0
            (endpoint,) = client.get("/v1/webhook-endpoints").json()["items"]
            assert endpoint["url"] == recorder.url
            client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
        first, second = recorder.wait_for(2, "test.ping")
        assert first == second
        assert valid(recorder.received[0], "whsec_from_env")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_a_webhook_url_without_its_secret_is_a_one_line_start_up_error():
    app = typer.Typer()
    app.command()(sandbox_command)
    result = CliRunner().invoke(app, ["--port", "0", "--webhook-url", "http://127.0.0.1:9/h"], env={})
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "sandbox: --webhook-url needs --webhook-secret (SANDBOX_WEBHOOK_SECRET), the signing secret"
    )
