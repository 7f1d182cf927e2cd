"""Idempotency store: replay, conflict, transient answers, TTL, in-flight duplicates."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from agent.sandbox.idempotency import IdempotencyStore, StoredResponse, fingerprint

NOW = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
SCOPE = ("lp_test_a_b", "POST /v1/projects", "key-1")


def test_fingerprint_is_canonical_json():
    assert fingerprint(b'{"a": 1, "b": [1, 2]}') == fingerprint(b'{"b":[1,2],"a":1}')
    assert fingerprint(b'{"a": 1}') != fingerprint(b'{"a": 2}')
    assert fingerprint(b"") == fingerprint(b"  ")
    assert fingerprint(b"{not json") != fingerprint(b"{not json!")


def test_first_use_proceeds_then_replays_verbatim():
    store = IdempotencyStore()
    assert store.begin(SCOPE, "fp", NOW).verdict == "proceed"
    store.complete(SCOPE, StoredResponse(201, {"id": "prj_1"}, {}))
    again = store.begin(SCOPE, "fp", NOW + timedelta(hours=1))
    assert again.verdict == "replay"
    assert again.response == StoredResponse(201, {"id": "prj_1"}, {})


def test_different_body_is_a_conflict_and_scopes_are_independent():
    store = IdempotencyStore()
    store.begin(SCOPE, "fp", NOW)
    store.complete(SCOPE, StoredResponse(201, {}, {}))
    assert store.begin(SCOPE, "other", NOW).verdict == "conflict"
    other_route = (SCOPE[0], "PATCH /v1/projects/{projectId}", SCOPE[2])
    other_key = ("lp_test_c_d", SCOPE[1], SCOPE[2])
    assert store.begin(other_route, "other", NOW).verdict == "proceed"
    assert store.begin(other_key, "other", NOW).verdict == "proceed"


def test_client_errors_are_cached_but_5xx_and_429_are_not():
    store = IdempotencyStore()
    for status in (500, 503, 429):
        assert store.begin(SCOPE, "fp", NOW).verdict == "proceed"
        store.complete(SCOPE, StoredResponse(status, {}, {}))
    assert store.begin(SCOPE, "fp", NOW).verdict == "proceed"
    store.complete(SCOPE, StoredResponse(422, {"error": {}}, {}))
    assert store.begin(SCOPE, "fp", NOW).response.status == 422


def test_abandoned_requests_free_the_key():
    store = IdempotencyStore()
    store.begin(SCOPE, "fp", NOW)
    store.abandon(SCOPE)
    assert store.begin(SCOPE, "fp", NOW).verdict == "proceed"


def test_entries_expire_after_24_hours():
    store = IdempotencyStore()
    store.begin(SCOPE, "fp", NOW)
    store.complete(SCOPE, StoredResponse(201, {}, {}))
    assert store.begin(SCOPE, "other", NOW + timedelta(hours=23, minutes=59)).verdict == "conflict"
    assert store.begin(SCOPE, "other", NOW + timedelta(hours=24)).verdict == "proceed"


def test_in_flight_duplicate_waits_for_the_first_answer():
    store = IdempotencyStore(in_flight_wait_s=5)
    store.begin(SCOPE, "fp", NOW)
    verdicts = []
    waiter = threading.Thread(target=lambda: verdicts.append(store.begin(SCOPE, "fp", NOW)))
    waiter.start()
    store.complete(SCOPE, StoredResponse(202, {"jobId": "job_1"}, {}))
    waiter.join(5)
    assert verdicts[0].verdict == "replay"
    assert verdicts[0].response.body == {"jobId": "job_1"}


def test_in_flight_duplicate_gives_up_as_busy():
    store = IdempotencyStore(in_flight_wait_s=0.05)
    store.begin(SCOPE, "fp", NOW)
    assert store.begin(SCOPE, "fp", NOW).verdict == "busy"
