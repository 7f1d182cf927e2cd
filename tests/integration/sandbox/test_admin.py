"""`/_sandbox/*`: the witness over HTTP, state, reset and the clock."""

from __future__ import annotations

import uuid

import httpx

from agent.sandbox import DEMO_SCENARIO_PATH, ManualClock, Sandbox, load_scenario
from agent.sandbox.clock import system_clock

from .conftest import ACME, ACME_BREAKOUT, clone


def test_requests_log_filters_by_container_source_and_applied(client):
    cid = str(uuid.uuid4())
    clone(client, cid)
    clone(client, cid)
    clone(client, str(uuid.uuid4()), source="pp_00000003-0002-4000-8000-000000000000")
    everything = client.get("/_sandbox/requests").json()["items"]
    assert len(everything) == 3
    mine = client.get("/_sandbox/requests", params={"containerId": f"cnt_{cid}"}).json()["items"]
    assert [e["outcome"] for e in mine] == ["APPLIED", "REPLAYED"]
    applied = client.get(
        "/_sandbox/requests", params={"sourcePostId": ACME_BREAKOUT, "applied": "true"}
    ).json()
    assert len(applied["items"]) == 1
    entry = applied["items"][0]
    assert entry["kind"] == "clone"
    assert entry["status"] == 202
    assert entry["applied"] is True
    assert entry["containerId"] == f"cnt_{cid}"
    assert entry["jobId"].startswith("job_")
    assert client.get("/_sandbox/requests", params={"outcome": "NOPE"}).status_code == 422


def test_state_lists_customers_with_sandbox_only_stage(client):
    state = client.get("/_sandbox/state").json()
    by_name = {p["name"]: p for p in state["projects"]}
    assert by_name["Acme Coffee"]["stage"] == "early"
    assert by_name["Northwind Fitness"]["stage"] == "mature"
    assert by_name["Loop Laundry"]["priorClones"] == {"pp_00000005-0001-4000-8000-000000000000": 5}
    assert "stage" not in client.get(f"/v1/projects/{ACME}").json()


def test_reset_restores_the_scenario(sandbox, client):
    client.patch(f"/v1/projects/{ACME}", json={"brand": {"tone": "wry"}})
    clone(client, str(uuid.uuid4()))
    assert client.post("/_sandbox/reset").json()["reset"] is True
    assert client.get(f"/v1/projects/{ACME}").json()["brand"] is None
    assert client.get("/_sandbox/requests").json()["items"] == []
    assert client.get("/_sandbox/state").json()["jobs"] == []
    assert sandbox.witness.entries() == []


def test_clock_advance_drives_jobs(client):
    job = clone(client, str(uuid.uuid4())).json()
    assert client.post("/_sandbox/clock/advance", json={"seconds": 10}).status_code == 200
    assert client.get(job["locationUrl"]).json()["status"] == "completed"
    assert client.post("/_sandbox/clock/advance", json={"seconds": -1}).status_code == 422


def test_clock_advance_needs_the_manual_clock(start_sandbox):
    _, client = start_sandbox(clock=system_clock)
    assert client.post("/_sandbox/clock/advance", json={"seconds": 1}).status_code == 409
    assert client.get("/_sandbox/nope").status_code == 404
    assert client.get("/_sandbox/health").json()["ok"] is True


def test_from_demo_serves_the_bundled_customers(tls):
    sandbox = Sandbox.from_demo(clock=ManualClock(), job_duration_scale=0.5)
    with sandbox.serve() as server, httpx.Client(base_url=server.base_url, verify=tls) as http:
        state = http.get("/_sandbox/state").json()
    assert (
        len(state["projects"])
        == len(sandbox.scenario.projects)
        == len(load_scenario(DEMO_SCENARIO_PATH).projects)
    )
    assert sandbox.job_duration_scale == 0.5
