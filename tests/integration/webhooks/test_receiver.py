"""The receiver over real HTTP (uvicorn) on a real PostgreSQL: what it answers, what it keeps, and that
concurrent duplicate deliveries keep one event that is processed once."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import structlog
from sqlalchemy import func, select

from agent.config import load_settings
from agent.domain.vocabulary import InboxOutcome, JobStatus, WorkStatus
from agent.logging import configure_logging
from agent.loops import webhook_events
from agent.sandbox.webhooks import sign
from agent.store import customers
from agent.store.db import Database
from agent.store.models import Clone, Job, WebhookEvent
from agent.webhooks.receiver import MAX_BODY_BYTES
from agent.webhooks.server import CeleryHandOff
from tests.support import builders
from tests.support.webhooks import SECRET, deliver, event, free_port, serve_receiver, signed_headers


@pytest.fixture
def enqueued() -> list[int]:
    return []


@pytest.fixture
def url(db, enqueued) -> Iterator[str]:
    with serve_receiver(db, enqueued.append) as address:
        yield address


def rows(db) -> list[WebhookEvent]:
    with db.session() as session:
        return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def test_a_signed_event_is_committed_before_the_answer_and_handed_to_the_worker(db, url, enqueued):
    body = event(type="job.completed", jobId="job_1", kind="content_generate")
    response = deliver(url, body)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    (row,) = rows(db)
    assert (row.event_id, row.type, row.payload) == (
        json.loads(body)["id"],
        "job.completed",
        json.loads(body),
    )
    assert row.processed_at is None
    assert enqueued == [row.id]


def test_a_duplicate_delivery_answers_2xx_and_changes_nothing(db, url, enqueued):
    body = event()
    assert deliver(url, body).status_code == 200
    before = rows(db)
    again = deliver(url, body)
    assert again.status_code == 200
    assert again.json() == {"received": True, "duplicate": True}
    assert [(r.id, r.received_at, r.payload) for r in rows(db)] == [
        (r.id, r.received_at, r.payload) for r in before
    ]
    assert len(enqueued) == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: signed_headers(body, secret="whsec_someone_else"), id="wrong-secret"),
        pytest.param(lambda body: signed_headers(body, at=time.time() - 310), id="stale"),
        pytest.param(lambda body: signed_headers(body, at=time.time() + 310), id="future"),
        pytest.param(
            lambda body: {k: v for k, v in signed_headers(body).items() if k != "X-Layers-Signature"},
            id="missing",
        ),
        pytest.param(lambda body: {**signed_headers(body), "X-Layers-Signature": "v1=abc"}, id="malformed"),
        pytest.param(
            lambda body: signed_headers(body.replace(b"test.ping", b"test.pong")), id="signed-another-body"
        ),
    ],
)
def test_a_bad_signature_is_401_and_nothing_is_stored(db, url, enqueued, headers):
    body = event()
    response = httpx.post(url, content=body, headers=headers(body))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "BAD_SIGNATURE"
    assert rows(db) == []
    assert enqueued == []


def test_either_secret_of_a_rotation_is_accepted(db, enqueued):
    with serve_receiver(db, enqueued.append, secrets=("whsec_new", "whsec_old")) as url:
        assert deliver(url, event("evt_a"), secret="whsec_old").status_code == 200
        assert deliver(url, event("evt_b"), secret="whsec_new").status_code == 200
        both = event("evt_c")
        t = int(time.time())
        headers = {
            "X-Layers-Event-Id": "evt_c",
            "X-Layers-Signature": sign(both, ["whsec_x", "whsec_new"], t),
        }
        assert httpx.post(url, content=both, headers=headers).status_code == 200
    assert [r.event_id for r in rows(db)] == ["evt_a", "evt_b", "evt_c"]


@pytest.mark.parametrize(
    ("body", "event_id"),
    [
        pytest.param(b'{"id": "evt_1", "type": "test.ping"', "evt_1", id="cut-json"),
        pytest.param(b"\xff\xfe not utf-8", "evt_1", id="not-utf8"),
        pytest.param(b'[{"id": "evt_1"}]', "evt_1", id="not-an-object"),
        pytest.param(b'{"id": "evt_1", "data": {}}', "evt_1", id="no-type"),
        pytest.param(b'{"id": "evt_1", "type": "test.ping", "data": {"n": NaN}}', "evt_1", id="nan"),
        pytest.param(b'{"type": "test.ping"}', None, id="no-id-anywhere"),
        pytest.param(b'{"id": "evt_2", "type": "test.ping"}', "evt_1", id="ids-disagree"),
        pytest.param(b'{"type": "test.ping"}', "evt_" + "x" * 61, id="id-too-long"),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_400(db, url, body, event_id):
    response = httpx.post(url, content=body, headers=signed_headers(body, event_id=event_id))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED"
    assert rows(db) == []


def test_the_body_id_is_enough_without_the_header(db, url):
    body = event("evt_body_only")
    assert httpx.post(url, content=body, headers=signed_headers(body, event_id=None)).status_code == 200
    assert [r.event_id for r in rows(db)] == ["evt_body_only"]


def oversized() -> bytes:
    padding = "x" * (MAX_BODY_BYTES + 1)
    return event(message=padding)


def test_a_body_over_1_mib_is_413_by_its_content_length(db, url):
    body = oversized()
    response = httpx.post(url, content=body, headers=signed_headers(body))
    assert response.status_code == 413
    assert rows(db) == []


def test_a_body_over_1_mib_is_413_when_streamed_without_a_length(db, url):
    body = oversized()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = httpx.post(url, content=chunks(), headers=signed_headers(body))
    assert "content-length" not in response.request.headers  # chunked: the stream itself is counted
    assert response.status_code == 413
    assert rows(db) == []


def test_exactly_1_mib_is_accepted(db, url):
    skeleton = len(event(message=""))
    body = event(message="x" * (MAX_BODY_BYTES - skeleton))
    assert len(body) == MAX_BODY_BYTES
    assert deliver(url, body).status_code == 200


def test_an_unknown_type_is_stored_acknowledged_and_ignored(db, url, services):
    assert deliver(url, event(type="ads.optimizer.run.completed")).status_code == 200
    assert webhook_events.process(services) == 1
    (row,) = rows(db)
    assert (row.outcome, row.processed_at is not None) == (InboxOutcome.UNKNOWN_TYPE, True)


def test_healthz_says_the_database_answers(url):
    response = httpx.get(url.replace("/webhooks/layers", "/healthz"))
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_the_answer_is_2xx_and_the_event_kept_when_redis_is_down(db, services):
    down = load_settings(
        _env_file=None, database_url=services.settings.database_url, redis_url="redis://127.0.0.1:1/0"
    )
    hand_off = CeleryHandOff(down)
    try:
        with serve_receiver(db, hand_off) as url:
            for n in range(3):
                assert deliver(url, event(f"evt_{n}", type="content.generated")).status_code == 200
    finally:
        hand_off.close()
    assert [r.processed_at for r in rows(db)] == [None, None, None]
    assert webhook_events.process(services) == 3  # what beat's sweep does
    assert [r.outcome for r in rows(db)] == [InboxOutcome.NO_HANDLER] * 3


def test_neither_the_secret_nor_the_signature_is_ever_logged(db, url):
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    try:
        body = event(type="job.completed", jobId="job_SENTINELbody")
        headers = signed_headers(body)
        assert httpx.post(url, content=body, headers=headers).status_code == 200
        assert (
            httpx.post(url, content=body, headers={**headers, "X-Layers-Signature": "t=1,v1=00"}).status_code
            == 401
        )
    finally:
        structlog.reset_defaults()
    logged = stream.getvalue()
    assert "webhook_received" in logged
    assert "webhook_refused" in logged
    signature = headers["X-Layers-Signature"].split("v1=")[1]
    for secret in (SECRET, signature, "SENTINELbody"):
        assert secret not in logged


def test_concurrent_duplicate_deliveries_store_one_event_and_end_its_job_once(db, services):
    """Many threads deliver the same event at once while sweeps run: one row, one claim, one job end."""
    with db.session() as session:
        customer_id = customers.find(session, ref="Acme Coffee").id
        clone = builders.reserve_clone(session, customer_id=customer_id, source_post_id="pp_hit")
        job_row = builders.job(session, clone, job_id="job_01SENTINEL0NCE", submitted_at=services.now())
        job = session.get_one(Job, job_row)
    body = event("evt_once", type="job.completed", jobId=job.job_id, kind="content_clone_from_post")
    received = threading.Barrier(16)
    with serve_receiver(db, lambda row_id: webhook_events.process(services, row_id=row_id)) as url:

        def one_delivery(_: int) -> int:
            received.wait()
            return deliver(url, body).status_code

        with ThreadPoolExecutor(16) as pool:
            sweeps = [pool.submit(webhook_events.process, services) for _ in range(4)]
            statuses = list(pool.map(one_delivery, range(16)))
            for sweep in sweeps:
                sweep.result()
    assert statuses == [200] * 16
    webhook_events.process(services)
    (row,) = rows(db)
    assert (row.attempts, row.outcome) == (1, InboxOutcome.HANDLED)
    with db.session() as session:
        ended = session.get_one(Job, job.id)
        clone = session.scalars(select(Clone).where(Clone.job_id == job.job_id)).one()
        count = session.scalar(select(func.count()).select_from(WebhookEvent))
    assert count == 1
    assert (ended.status, ended.poll_attempts) == (JobStatus.COMPLETED, 1)
    assert clone.status == WorkStatus.COMPLETED


def test_without_its_database_it_answers_503_so_layers_retries_and_is_unhealthy():
    down = Database.from_url(f"postgresql+psycopg://agent:agent@127.0.0.1:{free_port()}/agent")
    try:
        with serve_receiver(down) as url:
            response = deliver(url, event())
            health = httpx.get(url.replace("/webhooks/layers", "/healthz"))
    finally:
        down.dispose()
    assert (response.status_code, response.json()["error"]["code"]) == (503, "UNAVAILABLE")
    assert (health.status_code, health.json()) == (503, {"ok": False})
