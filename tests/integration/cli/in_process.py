"""`agent …` run in-process (Typer's runner) with the environment an operator would have: the session
database and the demo sandbox over HTTP. Fixtures for the CLI tests (imported by the test modules)."""

from __future__ import annotations

import logging

import pytest
import structlog
from typer.testing import CliRunner

from agent.cli import app, context
from agent.sandbox import Sandbox

ACME_PROJECT = "prj_00000003-0000-4000-8000-000000000000"
DENTAL_PROJECT = "prj_00000008-0000-4000-8000-000000000000"
KEY = "lp_test_cli_SENTINELsecret"


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
    monkeypatch.setenv("LAYERS_API_KEY", KEY)
    monkeypatch.setenv("POLLER_TICK_S", "0.2")
    monkeypatch.setenv("JOB_POLL_INITIAL_S", "0.2")
    monkeypatch.delenv("REDIS_URL", raising=False)
    context.forget_settings()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    context.forget_settings()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()
