"""Every endpoint the client wraps, end to end against the sandbox's demo scenario."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from agent.layers.models import JOB_COMPLETED, JOB_FAILED, JOB_RUNNING
from agent.rules.actions import UnsafeSuggestedAction
from agent.sandbox import DEMO_SCENARIO_PATH, load_scenario

from .conftest import (
    ACME,
    ACME_BREAKOUT,
    ACME_EXCLUDED,
    BRIGHT,
    DEMO_ORG,
    FRESH,
    NORTHWIND,
    PIXEL,
    START,
    STORMY,
    STORMY_BREAKOUT,
)


def _uuid() -> str:
    return str(uuid.uuid4())


def test_whoami(client):
    who = client.whoami()
    assert who.organization_id == DEMO_ORG
    assert who.rate_limit_tier == "standard"


def test_projects_list_every_page_and_filter(client):
    everything = list(client.iter_projects(limit=2))
    demo = load_scenario(DEMO_SCENARIO_PATH).projects
    assert len(everything) == len(demo) == len({p.id for p in everything})
    assert {p.id for p in everything} == {p.id for p in demo}
    first_page = client.list_projects(limit=2)
    assert len(first_page.items) == 2
    assert first_page.next_cursor is not None
    (acme,) = client.list_projects(customer_external_id="acme-coffee").items
    assert acme.name == "Acme Coffee"
    assert acme.created_at is not None
    assert acme.created_at.tzinfo is not None


def test_create_get_and_patch_a_project(client, sandbox):
    created = client.create_project(
        name="Ridge Runners", timezone="UTC", idempotency_key="create-1", tagline="go"
    )
    again = client.create_project(
        name="Ridge Runners", timezone="UTC", idempotency_key="create-1", tagline="go"
    )
    assert again.id == created.id
    assert sandbox.witness.count_applied("project_create") == 1
    assert client.get_project(created.id).name == "Ridge Runners"
    patched = client.patch_project(created.id, {"name": "Ridge Runners Co"}, idempotency_key="patch-1")
    assert patched.name == "Ridge Runners Co"


def test_metrics(client):
    response = client.metrics(
        ACME,
        scope="project",
        id=ACME,
        metrics=["views", "engagement_rate"],
        since=START - timedelta(days=7),
        until=START,
    )
    assert response.series
    assert all(point.bucket for point in response.series)
    assert response.totals["post_count"] > 0
    assert response.window is not None
    assert response.window.since is not None


def test_top_performers_rank_the_breakout_and_never_an_excluded_post(client):
    ranking = client.top_performers(ACME, metric="engagement_rate", window="7d", limit=20)
    assert ranking.items[0].platform_post_id == ACME_BREAKOUT
    assert [item.rank for item in ranking.items] == list(range(1, len(ranking.items) + 1))
    assert ACME_EXCLUDED not in {item.platform_post_id for item in ranking.items}
    assert client.top_performers(FRESH, metric="views").items == []


def test_ads_content_pagination_matches_one_big_page_and_override(client):
    paged = [item.ads_content_id for item in client.iter_ads_content(PIXEL, limit=1, sort="score_desc")]
    whole = client.list_ads_content(PIXEL, limit=200, sort="score_desc")
    assert paged == [item.ads_content_id for item in whole.items]
    assert whole.next_cursor is None
    eligible = client.list_ads_content(PIXEL, eligible=True).items
    assert len(eligible) == 2
    target = next(item for item in whole.items if not (item.eligibility and item.eligibility.is_eligible))
    updated = client.patch_ads_content(
        PIXEL, target.ads_content_id, override="include", note="customer asked", idempotency_key="ovr-1"
    )
    assert updated.override == "include"
    assert updated.eligibility is not None
    assert updated.eligibility.is_eligible


def test_ads_metrics_grouped_by_ad(client):
    response = client.ads_metrics(
        NORTHWIND,
        since=START - timedelta(days=7),
        until=START,
        group_by="ad",
        metrics=["spend", "conversions", "cpa"],
    )
    rows = {row.ad_id: row for row in response.series}
    burpee = rows["nw_ad_burpee_challenge"]
    assert burpee.spend > 50
    assert burpee.conversions == 0
    assert rows["nw_ad_form_check"].conversions > 0


def test_recommendations_pages_filters_and_unknown_kinds(client):
    every = list(client.iter_recommendations(BRIGHT, limit=2))
    assert len(every) == 7
    assert "promote_winner" in {rec.kind for rec in every}
    open_only = list(client.iter_recommendations(BRIGHT, status="open"))
    assert "dismissed" not in {rec.status for rec in open_only}
    confident = client.list_recommendations(BRIGHT, min_confidence=0.7, sort="confidence_desc").items
    assert all(rec.confidence >= 0.7 for rec in confident)
    assert [rec.confidence for rec in confident] == sorted(
        (rec.confidence for rec in confident), reverse=True
    )


def test_suggested_actions_run_through_call_relative_and_hostile_ones_are_refused(client, sandbox):
    recs = {rec.recommendation_id: rec for rec in client.iter_recommendations(BRIGHT)}
    clone = recs["rec_00000008-0001-4000-8000-000000000000"].suggested_action
    patch = recs["rec_00000008-0003-4000-8000-000000000000"].suggested_action
    hostile = recs["rec_00000008-0006-4000-8000-000000000000"].suggested_action
    assert clone is not None
    assert patch is not None
    assert hostile is not None
    started = client.call_relative(clone.method, clone.endpoint, body=clone.body, idempotency_key="rec-1")
    assert started["jobId"].startswith("job_")
    replay = client.call_relative(clone.method, clone.endpoint, body=clone.body, idempotency_key="rec-1")
    assert replay["jobId"] == started["jobId"]
    assert client.call_relative(patch.method, patch.endpoint, body=patch.body, idempotency_key="rec-3")["id"]
    with pytest.raises(UnsafeSuggestedAction):
        client.call_relative(hostile.method, hostile.endpoint, body=hostile.body, idempotency_key="rec-6")
    assert len(sandbox.witness.applied(kind="clone")) == 1


def test_clone_poll_with_etag_and_complete(client, sandbox):
    container_id = _uuid()
    envelope = client.clone_from_post(
        container_id,
        project_id=ACME,
        source_platform_post_id=ACME_BREAKOUT,
        variations=2,
        idempotency_key="c-1",
    )
    assert envelope.status == JOB_RUNNING
    assert len(envelope.all_container_ids) == 2
    first = client.get_job(envelope.job_id)
    assert first.job is not None
    assert first.job.status == JOB_RUNNING
    assert first.etag
    unchanged = client.get_job(envelope.job_id, etag=first.etag)
    assert unchanged.not_modified
    assert unchanged.job is None
    sandbox.advance(600)
    done = client.get_job(envelope.job_id, etag=first.etag)
    assert done.job is not None
    assert done.job.status == JOB_COMPLETED
    assert done.job.is_terminal
    container = client.get_content(envelope.all_container_ids[0])
    assert container.status == "completed"
    assert container.project_id is not None


def test_a_failing_clone_job_reports_its_error(client, sandbox):
    envelope = client.clone_from_post(
        _uuid(), project_id=STORMY, source_platform_post_id=STORMY_BREAKOUT, idempotency_key="c-storm"
    )
    sandbox.advance(600)
    job = client.get_job(envelope.job_id).job
    assert job is not None
    assert job.status == JOB_FAILED
    assert job.error is not None
    assert job.error.code == "SOURCE_UNAVAILABLE"


def test_generate_content_then_read_the_container(client):
    container_id = _uuid()
    envelope = client.generate_content(
        ACME,
        container_id=container_id,
        brief={"hook": "Skip the line, again", "cta": "Order ahead"},
        variant_count=2,
        format="video_remix",
        idempotency_key="gen-1",
    )
    assert envelope.kind == "content_generate"
    assert container_id in envelope.all_container_ids[0]
    container = client.get_content(container_id)
    assert container.status in {"queued", "processing"}
    assert container.format == "video-remix"


def test_cancel_a_running_job_then_a_finished_one(client, sandbox):
    running = client.clone_from_post(
        _uuid(), project_id=ACME, source_platform_post_id=ACME_BREAKOUT, idempotency_key="c-cancel"
    )
    assert client.cancel_job(running.job_id, idempotency_key="cancel-1").accepted
    finished = client.clone_from_post(
        _uuid(), project_id=ACME, source_platform_post_id=ACME_BREAKOUT, idempotency_key="c-done"
    )
    sandbox.advance(600)
    refusal = client.cancel_job(finished.job_id, idempotency_key="cancel-2")
    assert not refusal.accepted
    assert refusal.reason == "ALREADY_COMPLETED"
