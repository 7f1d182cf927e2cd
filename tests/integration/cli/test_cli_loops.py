"""The ops commands that drive the loops, through the real CLI, on PostgreSQL and the sandbox."""

import json
import logging

import pytest
import structlog
from sqlalchemy import func, select
from typer.testing import CliRunner

from agent.cli import app
from agent.config import get_settings
from agent.sandbox import Sandbox
from agent.store.models import Clone, Customer, Decision, Run

ACME_PROJECT = "prj_00000003-0000-4000-8000-000000000000"
DENTAL_PROJECT = "prj_00000008-0000-4000-8000-000000000000"


@pytest.fixture
def sandbox():
    sb = Sandbox.from_demo(job_duration_scale=0.25, rate_limits="disabled")
    with sb.serve() as server:
        yield sb, server.base_url


@pytest.fixture
def agent(db, database_url, sandbox, monkeypatch):
    """Run `agent …` in-process with the environment an operator would have."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LAYERS_BASE_URL", sandbox[1])
    monkeypatch.setenv("LAYERS_API_KEY", "lp_test_cli_SENTINELsecret")
    monkeypatch.setenv("POLLER_TICK_S", "0.2")
    monkeypatch.setenv("JOB_POLL_INITIAL_S", "0.2")
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def count(db, query):
    with db.session() as session:
        return session.execute(query).scalar_one()


def test_adding_a_customer_checks_the_project_and_the_timezone(agent, db):
    added = agent(
        "customers",
        "add",
        "--project-id",
        ACME_PROJECT,
        "--name",
        "Acme Coffee",
        "--timezone",
        "America/Los_Angeles",
        "--run-at",
        "07:30",
    )
    assert added.exit_code == 0, added.output
    with db.session() as session:
        acme = session.scalars(select(Customer)).one()
        assert (acme.timezone, acme.run_at.isoformat(), acme.external_id) == (
            "America/Los_Angeles",
            "07:30:00",
            "acme-coffee",
        )
    unknown = agent(
        "customers",
        "add",
        "--project-id",
        "prj_00000099-0000-4000-8000-000000000000",
        "--name",
        "Ghost",
        "--timezone",
        "UTC",
    )
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


def test_a_dry_run_prints_the_plan_and_records_and_sends_nothing(agent, db, sandbox):
    agent("customers", "add", "--project-id", ACME_PROJECT, "--name", "Acme Coffee", "--timezone", "UTC")
    result = agent("run", "publish-to-learn", "--customer", "acme-coffee", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "breakout" in result.output
    assert "nothing was recorded or sent" in result.output
    assert count(db, select(func.count()).select_from(Decision)) == 0
    assert count(db, select(func.count()).select_from(Run)) == 0
    assert sandbox[0].witness.applied() == []


def test_run_with_wait_follows_the_clone_to_the_end_and_prints_the_decisions(agent, db, sandbox):
    agent("customers", "add", "--project-id", ACME_PROJECT, "--name", "Acme Coffee", "--timezone", "UTC")
    result = agent("run", "publish-to-learn", "--customer", ACME_PROJECT, "--wait")
    assert result.exit_code == 0, result.output
    assert "breakout" in result.output
    with db.session() as session:
        clone = session.scalars(select(Clone)).one()
    assert clone.status == "completed"
    assert clone.approval_status == "pending"
    again = agent("run", "publish-to-learn", "--customer", "Acme Coffee")
    assert "already_succeeded" in again.output
    assert count(db, select(func.count()).select_from(Clone)) == 1
    lines = agent("decisions", "--customer", "Acme Coffee", "--json").output.strip().splitlines()
    assert {json.loads(line)["reason"] for line in lines} >= {"breakout", "daily_summary"}


def test_approve_and_reject_from_the_command_line(agent, db, sandbox):
    agent("customers", "add", "--project-id", DENTAL_PROJECT, "--name", "Bright Smile", "--timezone", "UTC")
    assert agent("run", "optimization", "--customer", "Bright Smile").exit_code == 0
    with db.session() as session:
        proposal = session.scalars(select(Decision).where(Decision.action == "pending_approval")).one()
    assert str(proposal.id) in agent("pending").output
    approved = agent("approve", str(proposal.id), "--by", "dana@acme", "--note", "ok from the customer")
    assert approved.exit_code == 0, approved.output
    assert "executed" in approved.output
    assert len([e for e in sandbox[0].witness.applied() if e.method == "PATCH"]) == 1
    assert agent("approve", str(proposal.id)).exit_code == 1
    assert agent("reject", str(proposal.id)).exit_code == 1
    assert len([e for e in sandbox[0].witness.applied() if e.method == "PATCH"]) == 1
    explained = agent("explain", str(proposal.id)).output
    assert "dana@acme" in explained


def test_pausing_and_resuming_a_customer(agent, db):
    agent("customers", "add", "--project-id", ACME_PROJECT, "--name", "Acme Coffee", "--timezone", "UTC")
    assert agent("customers", "pause", "Acme Coffee").exit_code == 0
    assert count(db, select(Customer.enabled)) is False
    assert agent("customers", "resume", "acme-coffee").exit_code == 0
    assert count(db, select(Customer.enabled)) is True
    assert agent("customers", "pause", "nobody").exit_code == 2
