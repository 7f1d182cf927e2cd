"""`agent webhooks`: register (idempotent, the secret printed once), rotate, and the receiver process itself,
which a sandbox delivers to with the secret `register` printed."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from sqlalchemy import select
from typer.testing import CliRunner

from agent.cli import app
from agent.config import get_settings
from agent.layers.client import LayersClient
from agent.sandbox import Sandbox
from agent.store.models import WebhookEvent
from agent.webhooks import registration
from tests.support.webhooks import free_port, wait_for

REPO = Path(__file__).resolve().parents[3]
API_KEY = "lp_test_hooks_SENTINELkey"
SECRET_LINE = re.compile(r"^  LAYERS_WEBHOOK_SECRETS=(whsec_\S+)$", re.MULTILINE)


@pytest.fixture
def sandbox() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox.from_demo(rate_limits="disabled", job_duration_scale=0.05)
    with sb.serve() as server:
        yield sb, server.base_url


@pytest.fixture
def agent(database_url, sandbox, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LAYERS_BASE_URL", sandbox[1])
    monkeypatch.setenv("LAYERS_API_KEY", API_KEY)
    monkeypatch.delenv("LAYERS_WEBHOOK_SECRETS", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str):
        get_settings.cache_clear()
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def test_register_prints_the_secret_once_and_running_it_again_creates_nothing(agent, sandbox):
    first = agent("webhooks", "register", "--url", "https://agent.example/webhooks/layers")
    assert first.exit_code == 0, first.output
    (secret,) = SECRET_LINE.findall(first.stdout)
    assert "LAYERS_WEBHOOK_SECRETS=<new>,<old>" in first.stdout  # how to rotate
    assert "job.completed" in first.stdout
    again = agent("webhooks", "register", "--url", "https://agent.example/webhooks/layers")
    assert again.exit_code == 0, again.output
    assert "already registered" in again.stdout
    assert secret not in again.stdout
    assert sandbox[0].witness.count_applied("webhook_endpoint_create") == 1
    (endpoint,) = sandbox[0].webhooks.endpoints.values()
    assert endpoint.secret == secret
    assert set(endpoint.events) == set(registration.handled_events())
    assert {"job.completed", "job.failed", "job.canceled", "content.approved", "content.rejected"} <= set(
        endpoint.events
    )


def test_the_same_url_registered_again_within_the_key_window_replays_the_first_answer(agent, sandbox):
    """Even when the endpoint is not found by listing, the derived Idempotency-Key stops a second one."""
    settings = get_settings()
    with LayersClient.from_settings(settings) as client:
        url, events = "https://agent.example/hooks", registration.handled_events()
        key = registration.idempotency_key(url, events)
        one = client.create_webhook_endpoint(url=url, events=events, idempotency_key=key)
        two = client.create_webhook_endpoint(url=url, events=events, idempotency_key=key)
    assert one.endpoint.id == two.endpoint.id
    assert len(sandbox[0].webhooks.endpoints) == 1
    assert "whsec_" not in repr(one)  # the secret is a SecretStr


def test_rotate_prints_the_new_secret_and_the_overlap(agent, sandbox):
    created = agent("webhooks", "register", "--url", "https://agent.example/webhooks/layers")
    (old,) = SECRET_LINE.findall(created.stdout)
    (endpoint_id,) = sandbox[0].webhooks.endpoints
    rotated = agent("webhooks", "rotate", endpoint_id)
    assert rotated.exit_code == 0, rotated.output
    (new,) = re.findall(r"^  (whsec_\S+)$", rotated.stdout, re.MULTILINE)
    assert new != old
    assert "LAYERS_WEBHOOK_SECRETS=<new>,<previous>" in rotated.stdout
    assert sandbox[0].webhooks.endpoints[endpoint_id].secrets(sandbox[0].now()) == [new, old]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("webhooks", "register", "--url", "not a url"), 2, "Layers refused it"),
        (("webhooks", "rotate", "7d0c8a52-0000-4000-8000-000000000000"), 2, "Layers does not know it"),
    ],
)
def test_a_refused_request_is_one_line_and_exit_2(agent, args, code, says):
    result = agent(*args)
    assert result.exit_code == code
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_layers_down_is_exit_75(agent, monkeypatch):
    monkeypatch.setenv("LAYERS_BASE_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("HTTP_DEADLINE_S", "1")
    result = agent("webhooks", "register", "--url", "https://agent.example/webhooks/layers")
    assert result.exit_code == 75
    assert "try again later" in result.stderr


def test_serving_without_a_secret_is_a_configuration_error(agent):
    result = agent("webhooks", "--port", str(free_port()))
    assert result.exit_code == 2
    assert "LAYERS_WEBHOOK_SECRETS is not set" in result.stderr


def test_serving_on_a_busy_port_is_one_line(agent, monkeypatch):
    monkeypatch.setenv("LAYERS_WEBHOOK_SECRETS", "whsec_x")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        result = agent("webhooks", "--port", str(busy.getsockname()[1]))
    assert result.exit_code == 2
    assert "cannot listen on 127.0.0.1" in result.stderr


def test_the_receiver_process_keeps_what_the_sandbox_delivers_with_the_registered_secret(
    agent, sandbox, db, database_url, tmp_path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/layers"
    registered = agent("webhooks", "register", "--url", url)
    (secret,) = SECRET_LINE.findall(registered.stdout)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LAYERS_WEBHOOK_SECRETS": f"whsec_an_older_one,{secret}",
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "LOG_FORMAT": "json",
    }
    log = (tmp_path / "webhooks.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "webhooks", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz"), what="the receiver's /healthz")
        assert health.json() == {"ok": True}
        (endpoint_id,) = sandbox[0].webhooks.endpoints
        ping = httpx.post(
            f"{sandbox[1]}/v1/webhook-endpoints/{endpoint_id}/test",
            headers={"Authorization": f"Bearer {API_KEY}"},
        ).json()
        row = wait_for(lambda: _stored(db, ping["eventId"]), what="the delivered event in the inbox")
        assert row.type == "test.ping"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert process.returncode == -signal.SIGTERM  # uvicorn stops gracefully, then re-raises the signal
    logged = (tmp_path / "webhooks.log").read_text()
    assert "webhook_received" in logged
    assert secret not in logged


def _get(url: str) -> httpx.Response | None:
    try:
        response = httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return None
    return response if response.status_code == 200 else None


def _stored(db, event_id: str) -> WebhookEvent | None:
    with db.session() as session:
        return session.scalars(select(WebhookEvent).where(WebhookEvent.event_id == event_id)).first()
