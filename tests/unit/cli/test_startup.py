"""`agent --help` starts without the heavy libraries (each command imports its own when it runs), groups
its commands, and every command it lists can be loaded."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from agent.cli import app
from agent.cli.lazy import ENTRIES, Placeholder

HEAVY = (
    "sqlalchemy",
    "httpx",
    "celery",
    "pydantic",
    "structlog",
    "rich",
    "yaml",
    "alembic",
    "prometheus_client",
)
OURS = ("agent.store", "agent.layers", "agent.config", "agent.sandbox", "agent.worker")


def imported_by(*args: str) -> set[str]:
    ran = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agent", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    return {m[1] for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", ran.stderr, re.MULTILINE)}


def test_help_imports_nothing_heavy():
    modules = imported_by("--help")
    assert "typer" in modules  # the measurement itself works
    loaded = {m for m in modules if m.split(".")[0] in HEAVY or m.startswith(OURS)}
    assert loaded == set()


def test_help_groups_the_commands():
    ran = subprocess.run(
        [sys.executable, "-m", "agent", "--help"], capture_output=True, text=True, check=True
    )
    sections = [line.rstrip(":") for line in ran.stdout.splitlines() if re.fullmatch(r"[A-Z][a-z]+:", line)]
    assert sections[:1] == ["Options"]
    assert {"Inspect", "Consent", "Customers", "Processes"} <= set(sections)
    assert ran.stdout.index("decisions") < ran.stdout.index("Consent:") < ran.stdout.index("approve")


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_every_listed_command_loads(entry):
    command = Placeholder(entry).load()
    assert command.name == entry.name
    assert command.callback is not None or getattr(command, "commands", None)


def test_the_app_is_the_lazy_group():
    from typer.main import get_command

    assert set(get_command(app).commands) == {entry.name for entry in ENTRIES}
