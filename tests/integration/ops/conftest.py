"""Fixtures for the ops commands on a real PostgreSQL: a CLI runner pointed at the session database, and
the seeded story (`tests/integration/ops/story.py`) the commands are read against."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import structlog
from typer.testing import CliRunner, Result

from agent.cli import app, context
from agent.store.db import Database
from tests.integration.ops.story import Story, seed_story

Invoke = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`agent …` in-process, reading its settings from the environment like the real command."""
    context.forget_settings()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HEALTH_MAX_JOB_FAILURES_PER_DAY", "3")
    monkeypatch.setenv("HEALTH_MAX_OVERRIDES_PER_WEEK", "3")
    monkeypatch.setenv("HEALTH_SCORE_DROP_RATIO", "0.2")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    # The command's callback re-configures logging onto the runner's (soon closed) stderr: put it back.
    root = logging.getLogger()
    handlers, level, structlog_config = root.handlers[:], root.level, structlog.get_config()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**structlog_config)
    context.forget_settings()


@pytest.fixture
def story(db: Database) -> Story:
    return seed_story(db)
