"""Projects: create (idempotent), list with cursors and filters, get with either id spelling, PATCH."""

from __future__ import annotations

from agent.sandbox import DEMO_SCENARIO_PATH, load_scenario

from .conftest import ACME, BRIGHT

NEW_PROJECT = {"name": "Juniper Jams", "timezone": "Europe/Berlin", "customerExternalId": "juniper"}


def test_create_returns_201_full_record(client):
    response = client.post("/v1/projects", json=NEW_PROJECT)
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("prj_")
    assert body["name"] == "Juniper Jams"
    assert body["status"] == "active"
    assert body["customerExternalId"] == "juniper"
    assert client.get(f"/v1/projects/{body['id']}").json() == body


def test_create_with_idempotency_key_replays_and_conflicts(sandbox, client):
    headers = {"Idempotency-Key": "create-juniper-1"}
    first = client.post("/v1/projects", json=NEW_PROJECT, headers=headers)
    reordered = dict(reversed(list(NEW_PROJECT.items())))
    replay = client.post("/v1/projects", json=reordered, headers=headers)
    assert replay.status_code == 201
    assert replay.json() == first.json()
    conflict = client.post("/v1/projects", json={**NEW_PROJECT, "name": "Other Name"}, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert sandbox.witness.count_applied("project_create") == 1
    outcomes = [e.outcome.value for e in sandbox.witness.entries(kind="project_create")]
    assert outcomes == ["APPLIED", "REPLAYED", "REJECTED"]


def test_same_idempotency_key_on_another_route_is_independent(client):
    headers = {"Idempotency-Key": "shared-key"}
    assert client.post("/v1/projects", json=NEW_PROJECT, headers=headers).status_code == 201
    assert client.patch(f"/v1/projects/{ACME}", json={"tagline": "New"}, headers=headers).status_code == 200


def test_create_validation_lists_every_issue(client):
    response = client.post("/v1/projects", json={"name": "x", "timezone": "Mars/Base", "colour": "red"})
    assert response.status_code == 422
    paths = {issue["path"] for issue in response.json()["error"]["details"]["issues"]}
    assert paths == {"name", "timezone", "colour"}


def test_list_paginates_newest_first_with_opaque_cursors(client):
    ids, cursor = [], None
    while True:
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/projects", params=params).json()
        assert len(page["items"]) <= 4
        ids += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    demo = load_scenario(DEMO_SCENARIO_PATH).projects
    assert len(ids) == len(demo) == len(set(ids))
    assert ids[0] == max(p.id for p in demo)  # the newest: the last one the scenario declares


def test_list_filters(client):
    by_handle = client.get("/v1/projects", params={"customerExternalId": "acme-coffee"}).json()["items"]
    assert [p["id"] for p in by_handle] == [ACME]
    by_search = client.get("/v1/projects", params={"search": "SMILE"}).json()["items"]
    assert [p["id"] for p in by_search] == [BRIGHT]
    assert client.get("/v1/projects", params={"status": "archived"}).json()["items"] == []


def test_list_rejects_bad_cursor_and_limit(client):
    assert client.get("/v1/projects", params={"cursor": "not-a-cursor"}).status_code == 422
    assert client.get("/v1/projects", params={"limit": 0}).status_code == 422
    assert client.get("/v1/projects", params={"limit": 201}).status_code == 422


def test_get_accepts_bare_uuid_and_prefixed_id(client):
    bare = ACME.removeprefix("prj_")
    assert client.get(f"/v1/projects/{bare}").json()["id"] == ACME
    assert client.get(f"/v1/projects/{ACME}").json()["name"] == "Acme Coffee"
    assert client.get("/v1/projects/prj_00000000-0000-4000-8000-00000000dead").status_code == 404


def test_patch_stores_and_merges_brand(client):
    emphasis = {"brand": {"valuePropositionsEmphasis": ["Same-day rewards"]}}
    body = client.patch(f"/v1/projects/{ACME}", json=emphasis).json()
    assert body["brand"] == {"valuePropositionsEmphasis": ["Same-day rewards"]}
    body = client.patch(f"/v1/projects/{ACME}", json={"brand": {"tone": "wry"}, "tagline": "Skip it"}).json()
    assert body["brand"] == {"valuePropositionsEmphasis": ["Same-day rewards"], "tone": "wry"}
    assert client.get(f"/v1/projects/{ACME}").json()["brandContext"]["tagline"] == "Skip it"


def test_patch_read_only_field_is_400_validation(sandbox, client):
    response = client.patch(f"/v1/projects/{ACME}", json={"id": "prj_x", "createdAt": "2020-01-01T00:00:00Z"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION"
    assert {i["path"] for i in error["details"]["issues"]} == {"id", "createdAt"}
    assert sandbox.witness.count_applied("project_update") == 0


def test_patch_bad_values_are_422(client):
    assert client.patch(f"/v1/projects/{ACME}", json={}).status_code == 422
    assert client.patch(f"/v1/projects/{ACME}", json={"brandVoice": "shouty"}).status_code == 422
    bad_brand = {"brand": {"valuePropositionsEmphasis": "not a list"}}
    assert client.patch(f"/v1/projects/{ACME}", json=bad_brand).status_code == 422
    assert (
        client.patch(
            f"/v1/projects/{ACME}", content=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 422
    )
