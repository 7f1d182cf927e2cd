"""The web decision log over HTTP, read as the ops role: every page and its JSON twin, the same words as
`agent explain`, keyset pagination, the CLI's filters, escaping, security headers, basic auth in constant
time, and no route that writes."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text

from agent import explanations
from agent.config import ConfigError
from agent.store import decisions, reports
from agent.store.readonly import ReadOnlyDatabase
from agent.web.security import CSP
from agent.web.server import check
from tests.integration.ops.story import ACME_LATTE, seed_story
from tests.integration.web.hostile import ERROR, NAME, TITLE, seed_hostile
from tests.integration.web.site import serve_web, web_settings

JSON = {"accept": "application/json"}
PASSWORD = "s3cret-SENTINEL-pw"


def pages(story) -> list[str]:
    return [
        "/",
        f"/customers/{story.acme}",
        "/decisions",
        f"/decisions/{story.acme_clone}",
        f"/lineage/{ACME_LATTE}",
        "/jobs/job_acme_latte_2",
        "/proposals",
        "/runs",
        "/health",
    ]


def test_every_page_and_its_json_twin_answer_as_the_ops_role(db, site):
    story = seed_story(db)
    with httpx.Client(base_url=site) as client:
        for path in pages(story):
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            assert page.headers["content-type"].startswith("text/html")
            twin = client.get(path, headers=JSON)
            assert twin.status_code == 200, (path, twin.text[:500])
            assert isinstance(twin.json(), dict)
        fleet = client.get("/", headers=JSON).json()
    acme = next(c for c in fleet["customers"] if c["id"] == story.acme)
    assert acme["name"] == "Acme Coffee"
    assert acme["last_runs"][0]["status"]


def test_a_decision_reads_as_agent_explain_does_with_its_evidence_clone_job_and_follow_ups(db, site):
    story = seed_story(db)
    with db.session() as session:
        found = reports.explanation(session, decision_id=story.acme_clone)
        expected = explanations.sentences(found, decisions.evidence_of(found.decision))
    with httpx.Client(base_url=site) as client:
        page = client.get(f"/decisions/{story.acme_clone}", headers=JSON).json()
        proposal = client.get(f"/decisions/{story.northwind_executed}", headers=JSON).json()
    assert page["explanation"] == expected
    assert {"field": "engagement_rate", "value": 0.091} in page["evidence"]
    assert page["clone"]["status"] == "completed"
    assert page["clone"]["approval_status"] == "pending"
    assert page["job"]["job_id"] == "job_acme_latte_2"
    assert "idempotency_key" not in str(page)
    assert "idempotency_key" not in str(proposal)
    assert proposal["approval"]["status"] == "executed"
    assert [f["reason"] for f in proposal["followups"]] == ["approved_by_customer", "executed_after_approval"]


def collect(client: httpx.Client, path: str) -> list[int]:
    ids: list[int] = []
    while path:
        page = client.get(path, headers=JSON).json()
        ids.extend(d["id"] for d in page["decisions"])
        cursor = page["next_before"]
        path = f"/decisions?before={cursor}" if cursor else ""
    return ids


def test_lists_page_by_keyset_without_gaps_or_repeats(db, database_url, ops_url):
    story = seed_story(db)
    settings = web_settings(database_url, web_page_size=2)
    with (
        serve_web(ops_url, settings, lambda: datetime.now(UTC)) as base,
        httpx.Client(base_url=base) as client,
    ):
        ids = collect(client, "/decisions")
        html = client.get("/decisions").text
    assert ids == sorted(story.newest_first, reverse=True)
    assert 'rel="next" href="?before=' in html


def test_the_cli_filters_apply_and_a_typo_is_a_bad_request(db, site):
    story = seed_story(db)
    with httpx.Client(base_url=site) as client:
        breakouts = client.get("/decisions?reason=breakout", headers=JSON).json()["decisions"]
        acme_ptl = client.get("/decisions?customer=Acme Coffee&loop=publish-to-learn", headers=JSON).json()
        typo = client.get("/decisions?reason=breakot", headers=JSON)
        page = client.get("/decisions?reason=breakot")
    assert breakouts
    assert {d["reason"] for d in breakouts} == {"breakout"}
    assert {d["id"] for d in acme_ptl["decisions"]} == story.acme_ids()
    assert typo.status_code == 400
    assert "breakout" in typo.json()["error"]
    assert page.status_code == 400
    assert "did you mean breakout" in page.text


def test_untrusted_text_is_escaped_on_every_page(db, site):
    hostile = seed_hostile(db)
    with httpx.Client(base_url=site) as client:
        bodies = [
            client.get(path).text
            for path in (
                "/",
                f"/customers/{hostile.customer_id}",
                f"/decisions/{hostile.clone_decision}",
                f"/jobs/{hostile.job_id}",
                "/proposals",
                "/decisions",
            )
        ]
    everything = "\n".join(bodies)
    for raw in (TITLE, ERROR, NAME, "<script>", "<img src=x"):
        assert raw not in everything
    assert "&lt;script&gt;" in everything
    assert "&lt;img src=x" in everything
    assert "Evil &lt;i" in everything


def test_every_answer_carries_the_security_headers(db, site):
    with httpx.Client(base_url=site) as client:
        for path in ("/", "/decisions/999999", "/static/style.css", "/healthz"):
            answer = client.get(path)
            assert answer.headers["content-security-policy"] == CSP
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in CSP
    assert "script-src" not in CSP


def test_no_route_writes(db, site):
    story = seed_story(db)
    with httpx.Client(base_url=site) as client:
        for path in pages(story):
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                assert client.request(method, path).status_code == 405, (method, path)


def test_basic_auth_guards_every_page_but_the_healthcheck(db, database_url, ops_url):
    seed_story(db)
    settings = web_settings(database_url, web_basic_auth=f"ops:{PASSWORD}")
    with (
        serve_web(ops_url, settings, lambda: datetime.now(UTC)) as base,
        httpx.Client(base_url=base) as client,
    ):
        anonymous = client.get("/")
        wrong = client.get("/", auth=("ops", "guess"))
        wrong_user = client.get("/", auth=("root", PASSWORD))
        right = client.get("/", auth=("ops", PASSWORD))
        health = client.get("/healthz")
        garbage = client.get("/", headers={"authorization": "Basic !!!notbase64"})
    assert anonymous.status_code == wrong.status_code == wrong_user.status_code == garbage.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic ")
    assert right.status_code == 200
    assert health.status_code == 200
    assert health.text == "ok\n"
    for answer in (anonymous, wrong, right, health):
        assert PASSWORD not in answer.text
        assert PASSWORD not in str(answer.headers)


def test_it_refuses_to_start_open_beyond_loopback_or_as_the_owner(database_url):
    with pytest.raises(ConfigError, match="WEB_BASIC_AUTH"):
        check(web_settings(database_url, ops_database_url=database_url), "0.0.0.0")  # noqa: S104
    with pytest.raises(ConfigError, match="OPS_DATABASE_URL"):
        check(web_settings(database_url), "127.0.0.1")
    assert check(web_settings(database_url, ops_database_url=database_url), "127.0.0.1")
    assert check(web_settings("sqlite:///./x.db"), "127.0.0.1") == "sqlite:///./x.db"


def test_its_database_writes_nothing_even_through_a_role_that_could(db, database_url):
    reader = ReadOnlyDatabase.from_url(database_url)
    try:
        with pytest.raises(Exception, match="read-only transaction"), reader.session() as session:
            session.execute(text("CREATE TABLE web_was_here (id int)"))
    finally:
        reader.dispose()
