"""docker-compose.yml without a Docker engine: every service started on this machine (`local_stack.Stack`)
must come up. migrate exits 0 and leaves the schema at head, the sandbox and flower pass their Compose
healthchecks, the worker answers a Celery ping and the image HEALTHCHECK, and beat's dispatcher creates a
due run that the worker executes against the sandbox.
"""

from __future__ import annotations

import uuid
from datetime import time as clock

import httpx
import pytest
import redis
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text

from agent.config import load_settings
from agent.store import customers, migrate
from agent.store.db import Database
from agent.store.models import Base, Decision, Run, WebhookEvent
from agent.worker.app import create_app
from tests.integration.compose.local_stack import LONG_RUNNING, START_TIMEOUT_S, Stack, http_get, wait_until
from tests.support.compose import container_argv, environment, listening_port

SANDBOX_PROJECT = "prj_00000001-0000-4000-8000-000000000000"  # in the demo scenario, no posts yet
RUN_TIMEOUT_S = 20


def test_postgres_and_redis_healthchecks_pass_against_the_local_servers(stack: Stack) -> None:
    for name in ("postgres", "redis"):
        result = stack.healthcheck(name)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_migrate_exits_zero_and_leaves_the_schema_at_head(stack: Stack) -> None:
    process = stack.processes["migrate"].popen
    assert process.wait(timeout=START_TIMEOUT_S) == 0, stack.logs("migrate")
    url = stack.localize(environment(stack.services["migrate"])["DATABASE_URL"])
    engine = create_engine(url)
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert version == ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()


def test_sandbox_answers_and_passes_its_healthcheck(stack: Stack) -> None:
    base = stack.localize(environment(stack.services["worker"])["LAYERS_BASE_URL"])
    response = wait_until(
        lambda: http_get(f"{base}/_sandbox/health"),
        what=f"the sandbox at {base}",
        alive=lambda: stack.exited("sandbox"),
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    result = stack.healthcheck("sandbox")
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{stack.logs('sandbox')}"


def test_worker_answers_a_ping_and_its_image_healthcheck(stack: Stack) -> None:
    env = stack.env("worker")
    app = create_app(
        load_settings(_env_file=None, redis_url=env["REDIS_URL"], database_url=env["DATABASE_URL"])
    )
    try:
        replies = wait_until(
            lambda: app.control.ping(destination=[stack.worker_node], timeout=1.0),
            what=f"a ping reply from {stack.worker_node}\n{stack.logs('worker')}",
            alive=lambda: stack.exited("worker"),
        )
    finally:
        app.close()
    assert replies == [{stack.worker_node: {"ok": "pong"}}]
    metrics = http_get(f"http://127.0.0.1:{env['METRICS_PORT']}/metrics")
    assert metrics is not None, "the published metrics port does not answer"
    assert metrics.status_code == 200
    result = stack.healthcheck("worker")  # the image HEALTHCHECK: agent ping
    assert result.returncode == 0, f"{result.stdout}{result.stderr}"


def test_beat_dispatches_a_due_run_that_the_worker_executes(stack: Stack) -> None:
    env = stack.env("beat")
    db = Database.from_url(env["DATABASE_URL"])
    try:
        with db.session() as session:
            # Due from local midnight on: due at every instant of the day, in UTC.
            customer_id = customers.add(
                session,
                layers_project_id=SANDBOX_PROJECT,
                name=f"compose-{uuid.uuid4().hex[:6]}",
                timezone="UTC",
                run_at=clock(0, 0),
            ).id

        def run(status: tuple[str, ...] | None = None) -> Run | None:
            with db.session() as session:
                query = select(Run).where(Run.customer_id == customer_id, Run.loop == "publish_to_learn")
                found = session.scalars(query).first()
                return found if found and (status is None or found.status in status) else None

        alive = lambda: stack.exited("beat") or stack.exited("worker")  # noqa: E731
        wait_until(
            run,
            what=f"beat to dispatch a run\n{stack.logs('beat', 'worker')}",
            timeout=RUN_TIMEOUT_S,
            alive=alive,
        )
        done = wait_until(
            lambda: run(("succeeded", "failed")),
            what=f"the worker to execute the run\n{stack.logs('worker')}",
            timeout=RUN_TIMEOUT_S,
            alive=alive,
        )
        assert done.status == "succeeded", f"{done.error}\n{stack.logs('worker')}"
        assert done.trigger == "schedule"
        # The run read the project from the sandbox through the mapped LAYERS_BASE_URL and decided.
        with db.session() as session:
            decided = session.scalars(select(Decision).where(Decision.run_id == done.id)).all()
        summaries = [d for d in decided if (d.subject_type, d.subject_id) == ("customer", SANDBOX_PROJECT)]
        assert len(summaries) == 1, [(d.action, d.reason, d.subject_id) for d in decided]
        assert "posts_seen" in summaries[0].evidence, summaries[0].evidence
    finally:
        db.dispose()


def test_flower_answers_and_passes_its_healthcheck(stack: Stack) -> None:
    port = stack.port(listening_port(container_argv(stack.services["flower"])) or 0)
    response = wait_until(
        lambda: http_get(f"http://127.0.0.1:{port}/healthcheck"),
        what=f"flower on port {port}\n{stack.logs('flower')}",
        alive=lambda: stack.exited("flower"),
    )
    assert response.status_code == 200
    assert response.text == "OK"
    result = stack.healthcheck("flower")
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{stack.logs('flower')}"


def test_webhooks_passes_its_healthcheck_and_keeps_what_the_sandbox_delivers(stack: Stack) -> None:
    """The sandbox registered the webhooks service from its environment at start-up (issue 11)."""
    port = stack.port(listening_port(container_argv(stack.services["webhooks"])) or 0)
    health = wait_until(
        lambda: http_get(f"http://127.0.0.1:{port}/healthz"),
        what=f"webhooks on port {port}\n{stack.logs('webhooks')}",
        alive=lambda: stack.exited("webhooks"),
    )
    assert (health.status_code, health.json()) == (200, {"ok": True})
    result = stack.healthcheck("webhooks")
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{stack.logs('webhooks')}"
    env = stack.env("webhooks")
    base = stack.localize(env["LAYERS_BASE_URL"])
    auth = {"Authorization": f"Bearer {env['LAYERS_API_KEY']}"}
    (endpoint,) = httpx.get(f"{base}/v1/webhook-endpoints", headers=auth).json()["items"]
    assert endpoint["url"] == stack.localize(environment(stack.services["sandbox"])["SANDBOX_WEBHOOK_URL"])
    ping = httpx.post(f"{base}/v1/webhook-endpoints/{endpoint['id']}/test", headers=auth).json()
    db = Database.from_url(env["DATABASE_URL"])
    try:

        def stored() -> WebhookEvent | None:
            with db.session() as session:
                query = select(WebhookEvent).where(WebhookEvent.event_id == ping["eventId"])
                return session.scalars(query).first()

        event = wait_until(stored, what=f"the ping in the inbox\n{stack.logs('sandbox', 'webhooks')}")
    finally:
        db.dispose()
    assert event.type == "test.ping"


def test_every_long_running_service_is_still_up(stack: Stack) -> None:
    for name in LONG_RUNNING:
        assert stack.exited(name) is None


def test_redis_runs_its_compose_command_with_persistence_and_no_eviction(stack: Stack) -> None:
    if "redis" not in stack.processes:
        pytest.skip("redis-server is not installed: the stack used TEST_REDIS_URL")
    assert stack.exited("redis") is None
    client = redis.Redis.from_url(stack.redis_url(), decode_responses=True)
    try:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    finally:
        client.close()
