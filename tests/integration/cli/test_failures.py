"""Everyday failures through the real `agent` command: one line on stderr saying what failed and what to
do, no traceback, and the exit code (1 the work failed, 2 usage or configuration, 75 try again later)."""

from __future__ import annotations

import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from agent.sandbox import Sandbox
from tests.integration.cli.agent_process import agent
from tests.support.demo import project

KEY = "lp_test_failures_SECRETsentinel"


@dataclass(frozen=True)
class World:
    tmp: Path
    migrated: str
    empty: str  # a PostgreSQL database that was never migrated
    layers: str  # the sandbox's base URL
    busy_port: int


@pytest.fixture(scope="module")
def empty_database(database_url: str) -> Iterator[str]:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    name = f"agent_empty_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def world(
    database_url: str, empty_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("failures")
    (tmp / "broken.yaml").write_text(
        "organization: {id: org_x}\nprojects:\n  - id: prj_1\n    name: [unclosed\n"
    )
    (tmp / "empty.db").touch()
    sqlite3.connect(tmp / "empty.db").close()
    with socket.socket() as busy, Sandbox.from_demo(rate_limits="disabled").serve() as server:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield World(tmp, database_url, empty_database, server.base_url, busy.getsockname()[1])


Case = tuple[str, Callable[[World], tuple[list[str], dict[str, str]]], int, str]

CASES: list[Case] = [
    (
        "database down",
        lambda w: (["decisions"], {"DATABASE_URL": "postgresql://agent:agent@127.0.0.1:1/agent"}),
        75,
        "cannot reach the database at 127.0.0.1:1/agent",
    ),
    (
        "wrong password",
        lambda w: (["decisions"], {"DATABASE_URL": make_url(w.migrated).set(password="wrong").render_as_string(False)}),
        2,
        "refused the login",
    ),
    ("no schema", lambda w: (["runs"], {"DATABASE_URL": w.empty}), 2, "run 'agent migrate'"),
    ("sqlite without schema", lambda w: (["clones"], {"DATABASE_URL": f"sqlite:///{w.tmp}/empty.db"}), 2, "run 'agent migrate'"),
    ("no sqlite file", lambda w: (["decisions"], {"DATABASE_URL": f"sqlite:///{w.tmp}/none.db"}), 2, "no database at"),
    (
        "Layers unreachable",
        lambda w: (
            ["customers", "add", "--project-id", project(3), "--name", "Acme", "--timezone", "UTC"],
            {"DATABASE_URL": w.migrated, "LAYERS_BASE_URL": "http://127.0.0.1:1", "LAYERS_API_KEY": KEY,
             "HTTP_MAX_ATTEMPTS": "1"},
        ),
        75,
        "cannot reach Layers at 127.0.0.1:1",
    ),
    (
        "a refused key",
        lambda w: (
            ["customers", "add", "--project-id", project(3), "--name", "Acme"],
            {"DATABASE_URL": w.migrated, "LAYERS_BASE_URL": w.layers, "LAYERS_API_KEY": "lp_live_abc_SECRETsentinel"},
        ),
        2,
        "refused the API key",
    ),
    ("no API key", lambda w: (["approve", "1"], {"DATABASE_URL": w.migrated}), 2, "LAYERS_API_KEY is not set"),
    ("busy sandbox port", lambda w: (["sandbox", "--port", str(w.busy_port)], {}), 2, "cannot listen on 127.0.0.1:"),
    ("unknown tier", lambda w: (["sandbox", "--port", "0", "--tier", "gold"], {}), 2, "gold"),
    ("missing scenario", lambda w: (["sandbox", "--scenario", str(w.tmp / "nope.yaml")], {}), 2, "nope.yaml"),
    ("broken scenario", lambda w: (["sandbox", "--scenario", str(w.tmp / "broken.yaml")], {}), 2, "broken.yaml: not valid YAML at line 5"),
    ("an impossible window", lambda w: (["decisions", "--since", "99999999d"], {"DATABASE_URL": w.migrated}), 2, "--since '99999999d'"),
    ("a bad flag", lambda w: (["decisions", "--bogus"], {"DATABASE_URL": w.migrated}), 2, "No such option: --bogus"),
    ("a bad command", lambda w: (["decisionz"], {}), 2, "Did you mean 'decisions'"),
    ("a typo in a filter", lambda w: (["decisions", "--action", "clon"], {"DATABASE_URL": w.migrated}), 2, "did you mean clone"),
    ("a bad setting", lambda w: (["runs"], {"DATABASE_URL": w.migrated, "MIN_VIEWS": "-3"}), 2, "MIN_VIEWS"),
    ("Redis down", lambda w: (["ping"], {"DATABASE_URL": w.migrated, "REDIS_URL": "redis://127.0.0.1:1/0"}), 75, "cannot reach Redis"),
    ("an unknown decision", lambda w: (["explain", "987654"], {"DATABASE_URL": w.migrated}), 1, "no decision 987654"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "setup", "code", "says"), CASES, ids=[case[0] for case in CASES])
def test_every_failure_is_one_line_and_its_exit_code(world: World, name, setup, code, says):
    args, env = setup(world)
    ran = agent(*args, cwd=world.tmp, env=env)
    assert ran.code == code, (name, ran)
    assert "Traceback" not in ran.stderr + ran.stdout
    assert len(ran.err_lines) == 1, ran.stderr
    assert says in ran.err_lines[0]
    assert "SECRETsentinel" not in ran.stderr


def test_a_read_command_never_creates_a_database_file(world: World):
    missing = world.tmp / "absent" / "agent.db"
    missing.parent.mkdir()
    for command in (["decisions"], ["runs"], ["why", "pp_x"], ["health"], ["customers", "list"], ["ping"]):
        ran = agent(*command, cwd=world.tmp, env={"DATABASE_URL": f"sqlite:///{missing}"})
        assert ran.code == 2, (command, ran)
        assert not missing.exists(), command
