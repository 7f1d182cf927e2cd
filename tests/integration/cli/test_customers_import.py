"""`agent customers import FILE` and `agent customers sync` through the real CLI, on PostgreSQL and a sandbox
over HTTP whose project list takes several pages: good and bad files, every problem on its own line with
its line and field, nothing stored unless every row is valid, and the projects checked with paged list
calls, never one read per customer."""

from __future__ import annotations

import getpass
import json
import logging
from collections import Counter
from pathlib import Path

import httpx
import pytest
import structlog
from sqlalchemy import select
from typer.testing import CliRunner

from agent.cli import app
from agent.config import get_settings
from agent.sandbox import Sandbox
from agent.sandbox.fleet import fleet_scenario, project_id
from agent.store import customers as customers_store
from agent.store.models import Customer, Decision

PROJECTS = 450  # three pages of GET /v1/projects at 200 a page
LIST_PROJECTS = "/v1/projects"
API_KEY = "lp_test_bulk_SENTINELsecret"


@pytest.fixture
def fleet():
    sandbox = Sandbox(fleet_scenario(PROJECTS), rate_limits="disabled")
    with sandbox.serve() as server:
        yield sandbox, server.base_url


@pytest.fixture
def agent(db, database_url, fleet, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LAYERS_BASE_URL", fleet[1])
    monkeypatch.setenv("LAYERS_API_KEY", API_KEY)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def stored(db) -> dict[str, Customer]:
    with db.session() as session:
        return {c.layers_project_id: c for c in session.scalars(select(Customer))}


def project_reads(sandbox: Sandbox) -> dict[str, int]:
    counters = sandbox.pipeline.counters
    return {
        "list": counters.total(route=LIST_PROJECTS, method="GET"),
        "one": counters.total(route="/v1/projects/{projectId}", method="GET"),
    }


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_csv_imports_every_row_with_three_list_pages_and_no_read_per_customer(
    agent, db, fleet, tmp_path
):
    sandbox, _ = fleet
    rows = [f"{project_id(k)},Customer {k},,growth,,07:15,shadow,,value_propositions" for k in range(1, 301)]
    rows.append(f'{project_id(301)},Custom 301,Asia/Tokyo,mature,crm-301,,,"{{""min_views"": 120}}",')
    header = "project_id,name,timezone,stage,external_id,run_at,mode,overrides,auto_approve"
    path = write(tmp_path, "customers.csv", "\n".join([header, *rows]) + "\n")

    result = agent("customers", "import", str(path))

    assert result.exit_code == 0, result.output
    assert "customers.csv: 301 added, 0 updated, 0 unchanged" in result.stdout
    customers = stored(db)
    assert len(customers) == 301
    first = customers[project_id(1)]
    scenario = {p.id: p for p in sandbox.scenario.projects}
    # Blank timezone and external id: the project's own.
    assert (first.timezone, first.external_id) == (scenario[project_id(1)].timezone, "fleet-00001")
    assert (first.stage, first.mode, f"{first.run_at:%H:%M}", first.auto_approve_kinds) == (
        "growth",
        "shadow",
        "07:15",
        ["value_propositions"],
    )
    custom = customers[project_id(301)]
    assert (custom.timezone, custom.external_id, custom.threshold_overrides) == (
        "Asia/Tokyo",
        "crm-301",
        {"min_views": 120},
    )
    assert f"{custom.run_at:%H:%M}" == "06:00"  # DEFAULT_RUN_AT
    assert project_reads(sandbox) == {"list": 3, "one": 0}
    # Every customer added is a configuration decision, by whoever ran the import.
    assert configuration_decisions(db) == {("customer_added", f"cli:{getpass.getuser()}"): 301}


def configuration_decisions(db) -> Counter[tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(select(Decision.reason, Decision.actor).where(Decision.action == "configure"))
        return Counter(rows.tuples())


def test_a_file_with_bad_rows_stores_nothing_and_names_each_line_and_field(agent, db, fleet, tmp_path):
    sandbox, _ = fleet
    lines = [
        json.dumps({"project_id": project_id(1), "name": "Good One"}),
        json.dumps({"project_id": project_id(2), "name": "Bad Zone", "timezone": "Mars/Olympus"}),
        "",
        json.dumps(
            {"project_id": project_id(3), "name": "Bad Range", "overrides": {"max_clones_per_source": 9}}
        ),
        json.dumps({"project_id": project_id(4), "name": "Good One", "run_at": "6 am"}),
    ]
    path = write(tmp_path, "customers.jsonl", "\n".join(lines) + "\n")

    result = agent("customers", "import", str(path))

    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert errors == [
        "error: customers.jsonl line 2, timezone: unknown timezone 'Mars/Olympus': expected an IANA name such as "
        "'Europe/Berlin' or 'UTC'",
        "error: customers.jsonl line 4, overrides: 'max_clones_per_source' must be >= 1 and <= 5, got 9",
        "error: customers.jsonl line 5, run_at: '6 am' is not a local time like 06:30",
        "error: 3 problem(s) in customers.jsonl: nothing was imported",
    ]
    assert "Traceback" not in result.output
    assert stored(db) == {}
    assert project_reads(sandbox)["list"] == 0  # refused before asking Layers


def test_a_project_layers_does_not_list_refuses_the_whole_file(agent, db, tmp_path):
    unknown = "prj_99999999-0000-4000-8000-000000000000"
    path = write(tmp_path, "c.csv", f"project_id,name\n{project_id(1)},One\n{unknown},Ghost\n")
    result = agent("customers", "import", str(path))
    assert result.exit_code == 2
    assert f"c.csv line 3, project_id: Layers lists no project '{unknown}' for this key" in result.stderr
    assert stored(db) == {}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.csv", "project_id,name,colour\nprj_1,A,red\n", "c.csv line 1: unknown column 'colour'"),
        ("c.csv", "project_id,name\nprj_1,A,extra\n", "c.csv line 2: more values than columns"),
        ("c.jsonl", '{"project_id": "prj_1"\n', "c.jsonl line 1: not JSON"),
        ("c.jsonl", "[1, 2]\n", "c.jsonl line 1: JSON lines hold one object a line, got list"),
        ("c.txt", "x", "c.txt: say --format csv or --format jsonl"),
    ],
)
def test_an_unreadable_file_is_one_line_and_exit_2(agent, db, tmp_path, name, text, message):
    result = agent("customers", "import", str(write(tmp_path, name, text)))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert stored(db) == {}


def test_importing_again_updates_only_what_changed(agent, db, tmp_path):
    header = "project_id,name,stage\n"
    first = write(tmp_path, "c.csv", header + f"{project_id(1)},One,early\n{project_id(2)},Two,early\n")
    assert agent("customers", "import", str(first)).exit_code == 0
    second = write(tmp_path, "d.csv", header + f"{project_id(1)},One,mature\n{project_id(2)},Two,\n")

    dry = agent("customers", "import", str(second), "--dry-run")
    assert dry.exit_code == 0
    assert "stage: early → mature" in dry.stdout
    assert "1 updated, 1 unchanged; dry run: nothing stored" in dry.stdout
    assert stored(db)[project_id(1)].stage == "early"

    result = agent("customers", "import", str(second), "--by", "ops:alice")
    assert "0 added, 1 updated, 1 unchanged" in result.stdout
    assert stored(db)[project_id(1)].stage == "mature"
    assert configuration_decisions(db)[("settings_changed", "ops:alice")] == 1


def test_sync_adds_every_project_updates_changed_ones_and_never_deletes(agent, db, fleet, tmp_path):
    sandbox, base_url = fleet
    names = {p.id: p.name for p in sandbox.scenario.projects}
    with db.session() as session:  # a customer whose project this key does not list: sync keeps it
        customers_store.add(session, layers_project_id="prj_elsewhere", name="Elsewhere", timezone="UTC")

    dry = agent("customers", "sync", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        f"sync: {PROJECTS} added, 0 updated, 0 unchanged, 1 kept (not listed by Layers); dry run"
        in dry.stdout
    )
    assert len(stored(db)) == 1

    result = agent("customers", "sync")
    assert result.exit_code == 0, result.output
    customers = stored(db)
    assert len(customers) == PROJECTS + 1
    assert (customers[project_id(7)].name, customers[project_id(7)].external_id) == (
        names[project_id(7)],
        "fleet-00007",
    )
    # Two sync runs, three pages each: never a read per customer.
    assert project_reads(sandbox) == {"list": 6, "one": 0}

    # Layers moves a project to another timezone and gives another a new external id; ops change a stage
    # and, by an import, a name and a timezone.
    headers = {"Authorization": f"Bearer {API_KEY}"}
    for k, body in ((7, {"timezone": "Pacific/Auckland"}), (8, {"customerExternalId": "crm-8"})):
        patched = httpx.patch(
            f"{base_url}/v1/projects/{project_id(k)}", json=body, headers=headers, timeout=5
        )
        assert patched.status_code == 200, patched.text
    local = write(tmp_path, "local.csv", f"project_id,name,timezone,stage\n{project_id(1)},Kept,UTC,mature\n")
    assert agent("customers", "import", str(local)).exit_code == 0

    again = agent("customers", "sync")
    assert again.exit_code == 0, again.output
    assert f"sync: 0 added, 3 updated, {PROJECTS - 3} unchanged, 1 kept" in again.stdout
    customers = stored(db)
    assert customers[project_id(7)].timezone == "Pacific/Auckland"
    assert customers[project_id(8)].external_id == "crm-8"
    # Sync owns the timezone and the external id only: the name and the stage stay as ops set them.
    kept = customers[project_id(1)]
    assert (kept.name, kept.stage, kept.timezone) == ("Kept", "mature", sandbox.scenario.projects[0].timezone)
    assert "prj_elsewhere" in customers
    assert len(customers) == PROJECTS + 1
    decided = configuration_decisions(db)
    assert (decided[("customer_added", "sync:layers")], decided[("settings_changed", "sync:layers")]) == (
        PROJECTS,
        3,
    )
