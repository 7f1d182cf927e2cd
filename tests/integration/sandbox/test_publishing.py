"""The sandbox's publish/learn part over HTTP (issue 15): social accounts, the approval gate on scheduling
(stash and promotion, 403, 409), scheduled posts that publish or fail, a published clone's numbers, the
customer's review after a delay, and late conversions."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from agent.sandbox.clock import iso
from agent.sandbox.scenario_schema import Scenario

from .conftest import clone

MAPLE, HARBOR, GRANITE, LANTERN = (
    "prj_00000010-0000-4000-8000-000000000000",
    "prj_00000012-0000-4000-8000-000000000000",
    "prj_00000013-0000-4000-8000-000000000000",
    "prj_00000015-0000-4000-8000-000000000000",
)


def source(project: str) -> str:
    return "pp_" + project.removeprefix("prj_").replace("-0000-4000", "-0001-4000")


def completed_clone(client, clock, project: str) -> list[str]:
    """A clone of the project's breakout whose job has completed: its containers (variations)."""
    response = clone(client, f"cnt_{uuid.uuid4()}", source=source(project), project=project, variations=2)
    assert response.status_code == 202, response.text
    clock.advance(5)
    return response.json()["containerIds"]


def accounts(client, project: str, **params):
    return client.get(f"/v1/projects/{project}/social-accounts", params=params).json()["items"]


def connected(client, project: str) -> str:
    (account,) = accounts(client, project, status="connected")
    return account["socialAccountId"]


def schedule(client, container: str, account: str, when, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    body = {"scheduledFor": iso(when), "targets": [{"socialAccountId": account, "mode": "publish"}]}
    return client.post(f"/v1/content/{container}/schedule", json=body, headers=headers)


def test_social_accounts_are_listed_with_their_status(client):
    listed = accounts(client, MAPLE)
    assert [(a["platform"], a["status"]) for a in listed] == [
        ("tiktok", "connected"),
        ("instagram", "reauth_required"),
    ]
    assert all(a["socialAccountId"].startswith("sa_") for a in listed)
    assert [a["platform"] for a in accounts(client, MAPLE, status="connected")] == ["tiktok"]


def test_a_pending_container_is_stashed_and_promoted_when_the_customer_approves_it(sandbox, client, clock):
    first, _ = completed_clone(client, clock, HARBOR)
    slot = clock() + timedelta(hours=1)
    stashed = schedule(client, first, connected(client, HARBOR), slot)
    assert stashed.status_code == 202
    assert stashed.json() == {
        "scheduledPostIds": [],
        "gateStatus": "blocked_on_approval",
        "scheduledFor": iso(slot),
    }
    assert client.get(f"/v1/projects/{HARBOR}/scheduled-posts").json()["items"] == []
    clock.advance(11 * 60)  # the customer reviews 10 minutes after the clone completed
    (post,) = client.get(f"/v1/projects/{HARBOR}/scheduled-posts").json()["items"]
    assert (post["containerId"], post["status"], post["scheduledFor"]) == (first, "queued", iso(slot))
    assert client.get(f"/v1/content/{first}").json()["approvalStatus"] == "approved"
    assert sandbox.witness.count_applied("schedule") == 1


def test_an_explicit_approval_answers_the_promotion(client, clock):
    first, _ = completed_clone(client, clock, MAPLE)
    schedule(client, first, connected(client, MAPLE), clock() + timedelta(hours=1))
    approved = client.post(f"/v1/content/{first}/approve", json={})
    promotion = approved.json()["pendingSchedulePromotion"]
    assert promotion["status"] == "ok"
    assert promotion["scheduledPostIds"][0].startswith("sp_")


def test_an_approved_clone_publishes_at_its_slot_and_reaches_its_numbers(sandbox, client, clock):
    first, _ = completed_clone(client, clock, MAPLE)
    clock.advance(31 * 60)  # the customer approves the first variation, rejects the second
    slot = clock() + timedelta(hours=2)
    key = str(uuid.uuid4())
    answer = schedule(client, first, connected(client, MAPLE), slot, key)
    assert answer.status_code == 201
    (post_id,) = answer.json()["scheduledPostIds"]
    assert schedule(client, first, connected(client, MAPLE), slot, key).json() == answer.json()  # replayed
    assert sandbox.witness.count_applied("schedule") == 1
    assert client.get(f"/v1/scheduled-posts/{post_id}").json()["status"] == "queued"
    clock.advance(2 * 3600 + 5)
    assert client.get(f"/v1/scheduled-posts/{post_id}").json()["status"] == "publishing"
    clock.advance(30)
    post = client.get(f"/v1/scheduled-posts/{post_id}").json()
    assert (post["status"], post["platform"]) == ("published", "tiktok")
    assert post["externalUrl"].endswith(post["externalId"])
    rows = client.get(
        f"/v1/projects/{MAPLE}/top-performers",
        params={"metric": "engagement_rate", "sourceType": "content_container", "includeIneligible": "true"},
    ).json()["items"]
    (row,) = [r for r in rows if r["sourceId"] == first]
    assert row["organic"]["engagementRate"] == 0.05  # the scenario's winner
    clock.advance(7 * 86400)
    totals = client.get(
        f"/v1/projects/{MAPLE}/metrics",
        params={
            "scope": "platform_post",
            "id": row["platformPostId"],
            "since": iso(clock() - timedelta(days=8)),
            "until": iso(clock()),
        },
    ).json()["totals"]
    assert (totals["views"], totals["engagement_rate"]) == (pytest.approx(9000, rel=0.01), 0.05)


def test_posts_can_fail_at_the_platform(client, clock):
    first, _ = completed_clone(client, clock, LANTERN)
    clock.advance(11 * 60)
    answer = schedule(client, first, connected(client, LANTERN), clock() + timedelta(minutes=5))
    (post_id,) = answer.json()["scheduledPostIds"]
    clock.advance(6 * 60)
    post = client.get(f"/v1/scheduled-posts/{post_id}").json()
    assert (post["status"], post["lastError"]["code"]) == ("failed", "PLATFORM_REJECTED")


@pytest.mark.parametrize(
    ("case", "status", "code", "path"),
    [
        pytest.param("rejected", 409, "CONTENT_REJECTED", None, id="rejected-content"),
        pytest.param("running", 409, "CONFLICT", None, id="not-completed"),
        pytest.param("past", 422, "VALIDATION", "scheduledFor", id="slot-in-the-past"),
        pytest.param("reauth", 422, "VALIDATION", "targets[0].socialAccountId", id="account-needs-reauth"),
        pytest.param(
            "foreign", 422, "VALIDATION", "targets[0].socialAccountId", id="another-projects-account"
        ),
    ],
)
def test_every_refusal_is_documented_and_applies_nothing(sandbox, client, clock, case, status, code, path):
    project = GRANITE if case == "rejected" else MAPLE
    if case == "running":
        container = clone(client, f"cnt_{uuid.uuid4()}", source=source(MAPLE), project=MAPLE).json()[
            "containerId"
        ]
    else:
        container = completed_clone(client, clock, project)[0]
        clock.advance(31 * 60)  # reviewed: Granite rejects, Maple approves the first variation
    account = connected(client, project)
    when = clock() + timedelta(hours=1)
    if case == "past":
        when = clock() - timedelta(minutes=5)
    if case == "reauth":
        account = accounts(client, MAPLE, status="reauth_required")[0]["socialAccountId"]
    if case == "foreign":
        account = connected(client, HARBOR)
    answer = schedule(client, container, account, when)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    if path:
        assert answer.json()["error"]["details"]["issues"][0]["path"] == path
    assert sandbox.witness.count_applied("schedule") == 0


def test_a_project_that_forbids_stashing_answers_approval_required(start_sandbox, demo_scenario, clock):
    data = demo_scenario.model_dump(by_alias=True, exclude_none=True)
    harbor = next(p for p in data["projects"] if p["id"] == HARBOR)
    harbor["publishing"]["pendingSchedule"] = "forbid"
    harbor["publishing"].pop("review")
    _, client = start_sandbox(scenario=Scenario.model_validate(data))
    first, _ = completed_clone(client, clock, HARBOR)
    answer = schedule(client, first, connected(client, HARBOR), clock() + timedelta(hours=1))
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "APPROVAL_REQUIRED")


def test_conversions_arrive_late(client, clock):
    yesterday = (clock() - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    params = {"since": iso(yesterday), "until": iso(yesterday + timedelta(days=1)), "groupBy": "ad"}
    (row,) = client.get(f"/v1/projects/{MAPLE}/ads-metrics", params=params).json()["series"]
    assert (row["spend"], row["conversions"]) == (20.0, 0)  # spend at once; conversions 48 h after the day
    clock.advance(2 * 86400)
    (row,) = client.get(f"/v1/projects/{MAPLE}/ads-metrics", params=params).json()["series"]
    assert row["conversions"] == 3
