"""The ops commands that drive the loops, through the real CLI, on PostgreSQL and the sandbox."""

import json

import httpx
from sqlalchemy import func, select

from agent.cli import context
from agent.domain.vocabulary import CONFIGURATION
from agent.sandbox import FaultConfig
from agent.store.models import Clone, Customer, Decision, Run
from tests.integration.cli.in_process import ACME_PROJECT, DENTAL_PROJECT, KEY, agent, sandbox

__all__ = ["agent", "sandbox"]  # fixtures


def count(db, query):
    with db.session() as session:
        return session.execute(query).scalar_one()


def loop_decisions(db) -> int:
    """Decisions the loops made (configuration changes are recorded as decisions too)."""
    return count(db, select(func.count()).select_from(Decision).where(Decision.loop != CONFIGURATION))


def add(agent, project: str, name: str, *more: str):
    result = agent("customers", "add", "--project-id", project, "--name", name, "--timezone", "UTC", *more)
    assert result.exit_code == 0, result.output
    return result


def test_adding_a_customer_checks_the_project_and_the_timezone(agent, db):
    added = agent(
        "customers", "add", "--project-id", ACME_PROJECT, "--name", "Acme Coffee", "--run-at", "07:30", "--by", "dana"
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert (
        added.output
        == "added customer 1 Acme Coffee (America/Los_Angeles (the project's timezone), runs at 07:30 local)\n"
    )
    with db.session() as session:
        acme = session.scalars(select(Customer)).one()
        assert (acme.timezone, acme.run_at.isoformat(), acme.external_id) == (
            "America/Los_Angeles",
            "07:30:00",
            "acme-coffee",
        )
        (audit,) = session.scalars(select(Decision).where(Decision.loop == CONFIGURATION)).all()
        assert (audit.action, audit.reason, audit.actor) == ("configure", "customer_added", "dana")
    unknown = agent(
        "customers", "add", "--project-id", "prj_00000099-0000-4000-8000-000000000000", "--name", "Ghost",
        "--timezone", "UTC",
    )  # fmt: skip
    assert unknown.exit_code == 1
    assert "no project" in unknown.output
    bad_tz = agent(
        "customers", "add", "--project-id", DENTAL_PROJECT, "--name", "Dental", "--timezone", "Mars/Olympus"
    )
    assert bad_tz.exit_code == 2
    assert "Mars/Olympus" in bad_tz.output
    duplicate = agent(
        "customers", "add", "--project-id", ACME_PROJECT, "--name", "Acme again", "--timezone", "UTC"
    )
    assert duplicate.exit_code == 1
    assert count(db, select(func.count()).select_from(Customer)) == 1


def test_a_dry_run_prints_the_plan_the_restraints_and_records_and_sends_nothing(agent, db, sandbox):
    add(agent, ACME_PROJECT, "Acme Coffee", "--mode", "shadow")
    result = agent("run", "publish-to-learn", "--customer", "acme-coffee", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("dry run for Acme Coffee, publish-to-learn, rule version ptl-v1+")
    assert "  the customer is in shadow mode: clones would be recorded as shadow_clone, not sent" in lines
    assert "  today's run has not happened yet" in lines
    assert any("breakout" in line for line in lines)
    assert lines[-1] == "nothing was recorded or sent"
    assert loop_decisions(db) == 0
    assert count(db, select(func.count()).select_from(Run)) == 0
    assert sandbox[0].witness.applied() == []
    assert agent("run", "publish-to-learn", "--customer", "Acme Coffee").exit_code == 0
    after = agent("run", "publish-to-learn", "--customer", "Acme Coffee", "--dry-run").output
    assert "  today's run already succeeded: a real run now would do nothing" in after.splitlines()


def test_run_with_wait_follows_the_clone_to_the_end_and_prints_the_decisions(agent, db, sandbox):
    add(agent, ACME_PROJECT, "Acme Coffee")
    result = agent("run", "publish-to-learn", "--customer", ACME_PROJECT, "--wait")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    waiting = [line for line in lines if line.startswith("waiting: ")]
    table = lines[len(waiting) :]  # it waits first, so the table shows how the clone ended
    assert table[0] == "Acme Coffee: publish-to-learn run 1 (succeeded)"
    (clone,) = (line for line in table if "breakout" in line.split())
    assert "in review" in clone
    assert waiting[0].startswith("waiting: clone job job_")
    assert waiting[-1] == "waiting: every job ended"
    with db.session() as session:
        clone = session.scalars(select(Clone)).one()
    assert clone.status == "completed"
    assert clone.approval_status == "pending"
    again = agent("run", "publish-to-learn", "--customer", "Acme Coffee")
    assert again.exit_code == 0
    assert "run 1 was not started: already succeeded" in again.output
    assert count(db, select(func.count()).select_from(Clone)) == 1
    lines = agent("decisions", "--customer", "Acme Coffee", "--format", "json").output.strip().splitlines()
    assert {json.loads(line)["reason"] for line in lines} >= {"breakout", "daily_summary"}


def test_a_run_while_layers_is_down_is_deferred_with_its_attempt_and_exits_75(
    agent, db, sandbox, monkeypatch
):
    add(agent, ACME_PROJECT, "Acme Coffee")
    monkeypatch.setenv("HTTP_MAX_ATTEMPTS", "1")
    context.forget_settings()
    sandbox[0].set_faults(FaultConfig(rate_5xx=1.0, statuses_5xx=(503,)))
    result = agent("run", "publish-to-learn", "--customer", "Acme Coffee")
    assert result.exit_code == 75
    assert result.stdout == "Acme Coffee: publish-to-learn run 1 (queued)\n"
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: run 1 was deferred after a temporary failure: ")
    assert line.endswith("attempt 1 of 5 (a worker retries it, or run this again later)")
    sandbox[0].set_faults(FaultConfig())
    retried = agent("run", "publish-to-learn", "--customer", "Acme Coffee")
    assert retried.exit_code == 0
    assert retried.stdout.splitlines()[0] == "Acme Coffee: publish-to-learn run 1 (succeeded)"


def test_a_manual_run_for_a_paused_customer_is_refused(agent, db, sandbox):
    add(agent, ACME_PROJECT, "Acme Coffee")
    assert agent("customers", "pause", "Acme Coffee").exit_code == 0
    result = agent("run", "publish-to-learn", "--customer", "Acme Coffee")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: Acme Coffee is paused: a run now would use up its publish-to-learn run"
    )
    assert count(db, select(func.count()).select_from(Run)) == 0
    dry = agent("run", "publish-to-learn", "--customer", "Acme Coffee", "--dry-run").output
    assert "  the customer is paused: a real run would only record skip / customer_paused" in dry.splitlines()


def test_pending_shows_the_change_against_the_project_as_layers_has_it(agent, db, sandbox):
    add(agent, DENTAL_PROJECT, "Bright Smile")
    httpx.patch(
        f"{sandbox[1]}/v1/projects/{DENTAL_PROJECT}",
        json={"brand": {"valuePropositionsEmphasis": ["Fast checkups"]}},
        headers={"Authorization": f"Bearer {KEY}"},
    ).raise_for_status()
    assert agent("run", "optimization", "--customer", "Bright Smile").exit_code == 0
    out = agent("pending").output
    assert "  change (- now, + proposed):" in out
    assert (
        '    brand.valuePropositionsEmphasis\n      - ["Fast checkups"]\n      + ["Same-day appointments"]'
        in out
    )
    assert "  rationale: 'Same-day appointments' drove 3.2x the conversion rate" in out
    assert "  confidence 0.75" in out
    (row,) = map(json.loads, agent("pending", "--format", "json").output.splitlines())
    assert row["changes"] == [
        {"field": "brand.valuePropositionsEmphasis", "current": ["Fast checkups"], "current_known": True,
         "proposed": ["Same-day appointments"]}
    ]  # fmt: skip
    assert row["evidence"] == {"valueProp": "Same-day appointments", "uplift": 3.2, "coverage": 0.08}


def test_approve_and_reject_from_the_command_line(agent, db, sandbox):
    add(agent, DENTAL_PROJECT, "Bright Smile")
    assert agent("run", "optimization", "--customer", "Bright Smile").exit_code == 0
    with db.session() as session:
        proposal = session.scalars(select(Decision).where(Decision.action == "pending_approval")).one()
    assert f"proposal {proposal.id} · Bright Smile" in agent("pending").output
    approved = agent("approve", str(proposal.id), "--by", "dana@acme", "--note", "ok from the customer")
    assert approved.exit_code == 0, approved.output
    assert "executed" in approved.output
    assert len([e for e in sandbox[0].witness.applied() if e.method == "PATCH"]) == 1
    assert agent("approve", str(proposal.id)).exit_code == 1
    assert agent("reject", str(proposal.id)).exit_code == 1
    assert len([e for e in sandbox[0].witness.applied() if e.method == "PATCH"]) == 1
    explained = agent("explain", str(proposal.id)).output
    assert "approved by dana@acme at" in explained
    assert "Note: ok from the customer." in explained


def test_the_web_logs_proposals_page_shows_the_same_diff_as_pending(agent, db, database_url, sandbox):
    from datetime import UTC, datetime
    from html import unescape

    from tests.integration.web.site import ops_login, serve_web, web_settings

    add(agent, DENTAL_PROJECT, "Bright Smile")
    httpx.patch(
        f"{sandbox[1]}/v1/projects/{DENTAL_PROJECT}",
        json={"brand": {"valuePropositionsEmphasis": ["Fast checkups"]}},
        headers={"Authorization": f"Bearer {KEY}"},
    ).raise_for_status()
    assert agent("run", "optimization", "--customer", "Bright Smile").exit_code == 0
    block = agent("pending").output.splitlines()
    start = block.index("  change (- now, + proposed):") + 1
    shown = [line.removeprefix("  ") for line in block[start:] if line.startswith("    ")]
    assert shown == [
        "  brand.valuePropositionsEmphasis",
        '    - ["Fast checkups"]',
        '    + ["Same-day appointments"]',
    ]
    settings = web_settings(database_url, layers_base_url=sandbox[1], layers_api_key=KEY)
    with ops_login(database_url) as ops, serve_web(ops, settings, lambda: datetime.now(UTC)) as site:
        page = httpx.get(f"{site}/proposals").text
        (twin,) = httpx.get(f"{site}/proposals", headers={"accept": "application/json"}).json()["proposals"]
    assert "The change (- now, + proposed):" in page
    pre = unescape(page.split('<pre class="diff">', 1)[1].split("</pre>", 1)[0])
    assert pre.splitlines() == shown == twin["diff"]
    assert twin["current_known"] is True


def test_a_dry_run_under_the_kill_switch_says_so(agent, db, sandbox, monkeypatch):
    add(agent, ACME_PROJECT, "Acme Coffee")
    monkeypatch.setenv("KILL_SWITCH", "true")
    context.forget_settings()
    dry = agent("run", "publish-to-learn", "--customer", "Acme Coffee", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        "  the kill switch is on: nothing that changes anything at Layers would be sent"
        in dry.output.splitlines()
    )
    assert "  today's run has not happened yet" in dry.output.splitlines()
    assert sandbox[0].witness.applied() == []
