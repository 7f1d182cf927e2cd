"""Clone and generation jobs on the manual clock: replay, progress, outcomes, containers, ETag, cancel."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from .conftest import ACME, ACME_BREAKOUT, BRIGHT, STORMY, STORMY_BREAKOUT, clone


def _cid() -> str:
    return str(uuid.uuid4())


def test_clone_returns_a_202_job_envelope(client):
    cid = _cid()
    response = clone(client, f"cnt_{cid}", variations=2, mode="reimagine")
    assert response.status_code == 202
    assert response.headers["X-RateLimit-Endpoint-Class"] == "long-running"
    body = response.json()
    assert body["jobId"].startswith("job_")
    assert len(body["jobId"]) == 30
    assert body["kind"] == "content_clone_from_post"
    assert body["status"] == "running"
    assert body["containerId"] == f"cnt_{cid}"
    assert len(body["containerIds"]) == 2
    assert body["containerIds"][0] == f"cnt_{cid}"
    assert body["locationUrl"] == f"/v1/jobs/{body['jobId']}"
    assert body["projectId"] == ACME


def test_reusing_the_container_id_replays_the_first_response(sandbox, client):
    cid = _cid()
    first = clone(client, cid)
    again = clone(client, f"cnt_{cid}", mode="fork", variations=1)
    assert again.status_code == 202
    assert again.json() == first.json()
    assert len(sandbox.witness.applied_clones(container_id=cid)) == 1
    assert sandbox.witness.count_applied("clone", source_post_id=ACME_BREAKOUT) == 1
    assert [e.outcome.value for e in sandbox.witness.entries(container_id=cid)] == ["APPLIED", "REPLAYED"]
    assert len(sandbox.state.jobs) == 1


def test_reusing_the_container_id_for_another_request_is_a_conflict(sandbox, client):
    cid = _cid()
    clone(client, cid)
    other = clone(client, cid, source="pp_00000003-0002-4000-8000-000000000000")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "CONFLICT"
    assert sandbox.witness.count_applied("clone") == 1


def test_clone_source_can_be_the_platform_native_id(client):
    assert clone(client, _cid(), source="7385912341234567890").status_code == 202


def test_clone_of_an_unknown_or_foreign_post_is_404(sandbox, client):
    assert clone(client, _cid(), source="pp_00000000-0000-4000-8000-000000000000").status_code == 404
    assert clone(client, _cid(), source=STORMY_BREAKOUT).status_code == 404
    assert sandbox.witness.count_applied("clone") == 0


def test_clone_validation(client):
    assert clone(client, "not-a-uuid").status_code == 422
    assert clone(client, _cid(), variations=11).status_code == 422
    assert clone(client, _cid(), mode="remix").status_code == 422
    response = client.post(f"/v1/content/{_cid()}/clone-from-post", json={"projectId": ACME})
    assert response.json()["error"]["details"]["issues"][0]["path"] == "sourcePlatformPostId"


def test_clone_job_progresses_and_completes_with_pending_containers(sandbox, client):
    body = clone(client, _cid(), variations=2).json()
    job_url = body["locationUrl"]
    seen = []
    for _ in range(5):
        job = client.get(job_url).json()
        seen.append((job["status"], job["stage"], job["progress"]))
        sandbox.advance(1)
    assert seen[0] == ("running", "queued", 0.0)
    assert seen[1][:2] == ("running", "generating_visuals")
    progresses = [p for _, _, p in seen]
    assert progresses == sorted(progresses)
    assert seen[-1][0] == "completed"
    job = client.get(job_url).json()
    assert job["status"] == "completed"
    assert job["progress"] == 1.0
    assert job["result"]["containerId"] == body["containerId"]
    assert job["finishedAt"] == "2026-04-20T12:00:34.000Z"
    for container_id in body["containerIds"]:
        container = client.get(f"/v1/content/{container_id}").json()
        assert container["status"] == "completed"
        assert container["approvalStatus"] == "pending"
        assert container["preview"]["kind"] == "video"
        assert container["assets"]


def test_completed_clone_publishes_the_scenario_post(sandbox, client):
    clone(client, _cid())
    params = {"metric": "views", "window": "7d"}
    before = client.get(f"/v1/projects/{ACME}/top-performers", params=params).json()["items"]
    sandbox.advance(10)
    after = client.get(f"/v1/projects/{ACME}/top-performers", params=params).json()["items"]
    new = [i for i in after if i["title"] == "Skip the line, part 2"]
    assert len(after) == len(before) + 1
    assert len(new) == 1
    assert new[0]["sourceType"] == "content_container"
    assert new[0]["sourceId"].startswith("cnt_")


def test_failed_clone_carries_the_scenario_error(sandbox, client):
    body = clone(client, _cid(), source=STORMY_BREAKOUT, project=STORMY).json()
    sandbox.advance(1)
    assert client.get(body["locationUrl"]).json()["status"] == "running"
    sandbox.advance(2)
    job = client.get(body["locationUrl"]).json()
    assert job["status"] == "failed"
    assert job["error"] == {
        "code": "SOURCE_UNAVAILABLE",
        "message": "The source video could not be fetched from TikTok.",
    }
    sandbox.advance(60)
    assert client.get(body["locationUrl"]).json() == job
    container = client.get(f"/v1/content/{body['containerId']}").json()
    assert container["status"] == "failed"
    assert container["lastError"]["code"] == "SOURCE_UNAVAILABLE"


def test_job_etag_and_304(sandbox, client):
    body = clone(client, _cid()).json()
    first = client.get(body["locationUrl"])
    etag = first.headers["ETag"]
    unchanged = client.get(body["locationUrl"], headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["ETag"] == etag
    assert unchanged.headers["X-Request-Id"].startswith("req_")
    sandbox.advance(2)
    moved = client.get(body["locationUrl"], headers={"If-None-Match": etag})
    assert moved.status_code == 200
    assert moved.headers["ETag"] != etag


def test_cancel_lands_at_the_next_stage_boundary(sandbox, client):
    body = clone(client, _cid()).json()
    cancel_url = f"{body['locationUrl']}/cancel"
    accepted = client.post(cancel_url)
    assert accepted.status_code == 202
    assert accepted.json() == {"jobId": body["jobId"], "accepted": True}
    assert client.get(body["locationUrl"]).json()["status"] == "running"
    sandbox.advance(1)
    job = client.get(body["locationUrl"]).json()
    assert job["status"] == "canceled"
    assert "error" not in job
    assert client.get(f"/v1/content/{body['containerId']}").json()["status"] == "canceled"
    again = client.post(cancel_url)
    assert again.status_code == 200
    assert again.json() == {"jobId": body["jobId"], "accepted": False, "reason": "ALREADY_CANCELED"}


def test_cancel_of_a_completed_job_and_in_the_finalizing_stage(sandbox, client):
    done = clone(client, _cid()).json()
    sandbox.advance(3.6)
    refused = client.post(f"{done['locationUrl']}/cancel")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["subcode"] == "JOB_CANCEL_UNAVAILABLE"
    sandbox.advance(1)
    late = client.post(f"{done['locationUrl']}/cancel").json()
    assert late == {"jobId": done["jobId"], "accepted": False, "reason": "ALREADY_COMPLETED"}


def test_unknown_job_and_bare_ulid(client):
    body = clone(client, _cid()).json()
    assert client.get(f"/v1/jobs/{body['jobId'].removeprefix('job_')}").status_code == 200
    assert client.get("/v1/jobs/job_01HX9Y6K7EJ4T2ABCDEF012345").status_code == 404


def test_non_reference_clone_route_mints_the_container(sandbox, client):
    response = client.post(
        f"/v1/projects/{BRIGHT}/content/clone-from-post",
        json={"sourcePlatformPostId": "pp_00000008-0001-4000-8000-000000000000", "variations": 3},
    )
    assert response.status_code == 202
    assert len(response.json()["containerIds"]) == 3
    assert sandbox.witness.count_applied("clone", project_id=BRIGHT) == 1


def test_generation_accepts_gen_a_format_and_upserts_on_id(sandbox, client):
    cid = _cid()
    brief = {
        "hook": "Get things done.",
        "cta": "Download",
        "targetPlatforms": ["tiktok"],
        "themeTags": ["speed"],
    }
    body = {"id": cid, "format": "video_remix", "variantCount": 2, "brief": brief}
    first = client.post(f"/v1/projects/{ACME}/content", json=body)
    assert first.status_code == 202
    envelope = first.json()
    assert envelope["kind"] == "content_generate"
    assert envelope["containerId"] == f"cnt_{cid}"
    assert len(envelope["containerIds"]) == 2
    assert client.post(f"/v1/projects/{ACME}/content", json=body).json() == envelope
    changed = client.post(f"/v1/projects/{ACME}/content", json={**body, "variantCount": 1})
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "CONFLICT"
    assert sandbox.witness.count_applied("generate") == 1
    sandbox.advance(5)
    container = client.get(f"/v1/content/{cid}").json()
    assert container["format"] == "video-remix"
    assert container["hook"] == "Get things done."


def test_generation_validation(client):
    assert client.post(f"/v1/projects/{ACME}/content", json={"format": "gif"}).status_code == 422
    assert client.post(f"/v1/projects/{ACME}/content", json={"variantCount": 6}).status_code == 422
    assert client.post(f"/v1/projects/{ACME}/content", json={"brief": {"mood": "x"}}).status_code == 422
    assert (
        client.post("/v1/projects/prj_00000000-0000-4000-8000-000000000000/content", json={}).status_code
        == 404
    )


def test_concurrent_jobs_cap_is_a_429_on_the_starting_post(start_sandbox):
    sandbox, client = start_sandbox(concurrent_jobs=2)
    assert clone(client, _cid()).status_code == 202
    assert clone(client, _cid()).status_code == 202
    blocked = clone(client, _cid())
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "RATE_LIMITED"
    assert int(blocked.headers["Retry-After"]) >= 1
    sandbox.advance(5)
    assert clone(client, _cid()).status_code == 202


def test_container_progress_and_listing(sandbox, client):
    body = clone(client, _cid()).json()
    sandbox.advance(2)
    progress = client.get(f"/v1/content/{body['containerId']}/progress").json()
    assert progress["status"] == "processing"
    assert progress["stage"] == "generating_visuals"
    assert 0 < progress["stageProgress"] < 1
    assert progress["etaSeconds"] == 2
    listing = client.get(f"/v1/projects/{ACME}/content", params={"status": "generating"}).json()
    assert [item["id"] for item in listing["items"]] == [body["containerId"]]
    assert client.get(f"/v1/content/{_cid()}").status_code == 404


def test_approve_and_reject_pending_containers(sandbox, client):
    body = clone(client, _cid(), variations=2).json()
    first, second = body["containerIds"]
    assert client.post(f"/v1/content/{first}/approve").status_code == 409
    sandbox.advance(5)
    approved = client.post(f"/v1/content/{first}/approve").json()
    assert approved["approvalStatus"] == "approved"
    assert approved["approvedAt"]
    assert client.post(f"/v1/content/{second}/reject", json={}).status_code == 422
    rejected = client.post(f"/v1/content/{second}/reject", json={"reason": "Off-brand"}).json()
    assert rejected["approvalStatus"] == "rejected"
    assert rejected["reason"] == "Off-brand"
    assert client.post(f"/v1/content/{second}/approve").status_code == 409


def test_concurrent_duplicates_create_exactly_one_clone(sandbox, client):
    cid = _cid()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: clone(client, cid), range(16)))
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["jobId"] for r in responses}) == 1
    assert len(sandbox.witness.applied_clones(container_id=cid)) == 1
    assert len(sandbox.witness.entries(container_id=cid)) == 16
