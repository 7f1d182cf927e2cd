"""`agent demo` on the embedded defaults (a SQLite file of its own, no broker server): end to end, twice;
then every read command on what it recorded, and `agent why` for every post a run saw."""

import csv
import io
import json
import logging
import sqlite3
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from agent.cli import app, context
from agent.domain.run_inputs import PublishInput
from agent.sandbox import Sandbox
from agent.store import customers, migrate
from agent.store.db import Database
from agent.store.models import Clone, Decision, Run, RunInput

DEMO_URL = "sqlite:///./agent-demo.db"


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    """An operator's checkout: DATABASE_URL (as a production `.env` would) points at another database."""
    for name in ("REDIS_URL", "LAYERS_API_KEY", "LAYERS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'production.db'}")
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.chdir(tmp_path)
    context.forget_settings()
    yield tmp_path
    context.forget_settings()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def decision_lines(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("decisions: "))
    return lines[start : lines.index("clone counts")]


def counts(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        result = {
            model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Decision, Clone, Run)
        }
        result["completed_clones"] = conn.execute(
            select(func.count()).where(Clone.status == "completed", Clone.origin != "prior")
        ).scalar_one()
    engine.dispose()
    return result


def test_the_demo_runs_a_full_day_in_its_own_file_and_running_it_again_changes_nothing(embedded: Path):
    first = invoke("demo", "--job-seconds", "0.25")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == f"demo database: {DEMO_URL}"
    assert f"demo complete, in {DEMO_URL}." in first.output
    assert "waits for consent" in first.output
    lines = first.output.splitlines()
    table = lines[lines.index("clone counts") + 1 : lines.index("", lines.index("clone counts"))]
    assert len(table) > 1
    assert len({line.index("pp_") for line in table[1:]}) == 1  # the long names keep the columns aligned
    assert not (embedded / "production.db").exists()  # DATABASE_URL was never touched
    demo_url = f"sqlite:///{embedded / 'agent-demo.db'}"
    after_first = counts(demo_url)
    assert after_first["runs"] == len(Sandbox.from_demo().scenario.projects) * 3  # every customer, 3 loops
    assert after_first["completed_clones"] >= 2  # Acme's breakout and Bright Smile's refresh
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        reasons = set(conn.execute(select(Decision.reason)).scalars())
    engine.dispose()
    assert {
        "no_performance_data",
        "insufficient_data",
        "breakout",
        "below_engagement_floor",
        "clone_cap_reached",
        "spend_without_conversions",
        "thin_creative_pool",
        "changes_brand_configuration",
        "unsafe_suggested_action",
        "weekly_review",
    } <= reasons
    lines = decision_lines(first.output)
    body = [line for line in lines[3:] if line and not line.startswith("(")]  # after heading, titles, rule
    assert len(body) == after_first["decisions"]  # one line each

    second = invoke("demo", "--job-seconds", "0.25")
    assert second.exit_code == 0, second.output
    assert decision_lines(second.output) == lines
    assert counts(demo_url) == after_first


def test_the_demo_refuses_a_database_with_real_customers(embedded: Path):
    url = f"sqlite:///{embedded / 'production.db'}"
    migrate.upgrade(url)
    db = Database.from_url(url)
    with db.session() as session:
        customers.add(session, layers_project_id="prj_real_customer", name="Real Roasters", timezone="UTC")
    db.dispose()
    refused = invoke("demo", "--database-url", url)
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: refusing to run the demo on {url}: it holds customers that are not the demo's "
        "(Real Roasters); leave out --database-url to use the demo's own file\n"
    )
    with sqlite3.connect(embedded / "production.db") as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)


@pytest.fixture
def after_the_demo(embedded: Path, monkeypatch) -> str:
    assert invoke("demo", "--job-seconds", "0.25").exit_code == 0
    url = f"sqlite:///{embedded / 'agent-demo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    context.forget_settings()
    return url


def test_why_answers_for_every_post_of_the_demo_runs(after_the_demo: str):
    engine = create_engine(after_the_demo)
    with engine.connect() as conn:
        records = [(row.run_id, PublishInput.from_json(row.record)) for row in conn.execute(select(RunInput))]
    engine.dispose()
    first: dict[tuple[int, str], object] = {}
    for run_id, record in records:
        for seen in record.posts:  # a post listed twice is judged on its first (best-ranked) row
            if seen.post_id:
                first.setdefault((run_id, seen.post_id), seen)
    posts = [(run_id, seen) for (run_id, _), seen in first.items()]
    assert len(posts) > 30
    for run_id, seen in posts:
        result = invoke("why", seen.post_id, "--format", "json")
        assert result.exit_code == 0, result.output
        (answer,) = [
            json.loads(line) for line in result.stdout.splitlines() if json.loads(line)["run_id"] == run_id
        ]
        assert answer["verdict"] == (seen.verdict.value if seen.verdict else None)
        assert answer["views"] == seen.views
        if seen.verdict is not None:
            assert answer["why"]
        text = invoke("why", seen.post_id.split("_", 1)[1])  # the bare id answers too
        assert f"(run {run_id}" in text.stdout


READ_COMMANDS = [
    ["decisions"], ["runs"], ["clones"], ["pending"], ["customers", "list"], ["why", "pp_00000003-0001-4000-8000-000000000000"],
]  # fmt: skip
DOCUMENTS = [["customers", "show", "Acme Coffee"], ["health"]]


def test_every_read_command_prints_json_and_csv_that_parse(after_the_demo: str):
    for command in READ_COMMANDS:
        lines = invoke(*command, "--format", "json").stdout.splitlines()
        assert lines, command
        assert all(isinstance(json.loads(line), dict) for line in lines), command
        table = list(csv.reader(io.StringIO(invoke(*command, "--format", "csv").stdout)))
        assert len(table) == len(lines) + 1, command
    for command in DOCUMENTS:
        assert isinstance(json.loads(invoke(*command, "--format", "json").stdout), dict), command
    ids = [
        json.loads(line)["id"]
        for line in invoke("decisions", "--format", "json", "--limit", "100").stdout.splitlines()
    ]
    for decision_id in ids:
        document = json.loads(invoke("explain", str(decision_id), "--format", "json").stdout)
        assert document["decision"]["id"] == decision_id
        assert document["explanation"][0].startswith(f"Decision {decision_id} ")
        assert any(line.startswith("Why: ") for line in document["explanation"])
