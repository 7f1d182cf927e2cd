"""`agent customers import FILE` and `agent customers sync`: many customers at once.

Both check the projects against Layers with the paged project list (`GET /v1/projects`, 200 a page), never
one read per customer. An import stores nothing unless every row is valid (each problem on its own line,
exit 2); a sync applies what it can and reports each project it could not take, one line each (exit 1).
Layers busy or unreachable: exit 75 (`agent.cli.exits`).
"""

from __future__ import annotations

import csv
import getpass
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli import context
from agent.cli.exits import EXIT_FAILED, EXIT_USAGE, BadInput, Failure, report

if TYPE_CHECKING:  # imported when a command runs, not for `agent customers --help`
    from agent.domain.records import CustomerRecord
    from agent.layers.client import LayersClient
    from agent.rules.customer_plan import Plan, ProjectSeen
    from agent.rules.customer_rows import RowError
    from agent.services import Services

PROJECT_PAGE = 200  # the largest page GET /v1/projects gives
SYNC_ACTOR = "sync:layers"  # who a sync's configuration decisions say made the change
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


def import_customers(
    file: Annotated[Path, typer.Argument(help="CSV with a header line, or JSON lines (one object a line)")],
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv | jsonl (default: from the file's extension)")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; store nothing")] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="Who makes the change (default: cli:<OS user>)")
    ] = None,
) -> None:
    """Add or update many customers from a file: every row checked, nothing stored unless all are valid.

    Fields: project_id and name (required), timezone and external_id (default: the project's), stage,
    run_at (HH:MM), mode, overrides (a JSON object), auto_approve (kinds separated by spaces or ';').
    """
    from agent.rules.customer_plan import plan_import
    from agent.rules.customer_rows import Defaults, read_rows

    settings = context.settings()
    defaults = Defaults(settings.thresholds(), settings.default_run_at)
    raw = list(_read_file(file, file_format))
    rows, errors = read_rows(raw, defaults)
    _refuse(file.name, errors)
    with context.services() as services:
        projects = _listed_projects(services.client)
        plan = _plan_and_store(
            services,
            lambda existing: plan_import(rows, projects, existing, defaults),
            dry_run=dry_run,
            all_or_nothing=file.name,
            actor=by or f"cli:{getpass.getuser()}",
        )
    context.console.print(f"{file.name}: {_summary(plan, dry_run)}")


def sync_customers(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; store nothing")] = False,
) -> None:
    """Take every Layers project of this key: add new ones, update timezone and external id; never delete."""
    from agent.rules.customer_plan import plan_sync
    from agent.rules.customer_rows import Defaults

    settings = context.settings()
    defaults = Defaults(settings.thresholds(), settings.default_run_at)
    with context.services() as services:
        projects = _listed_projects(services.client)
        plan = _plan_and_store(
            services,
            lambda existing: plan_sync(projects, existing, defaults),
            dry_run=dry_run,
            all_or_nothing=None,
            actor=SYNC_ACTOR,
        )
    for error in plan.errors:
        report(Failure(f"{error} (project skipped)", EXIT_FAILED))
    context.console.print(f"sync: {_summary(plan, dry_run)}")
    if plan.errors:
        raise typer.Exit(EXIT_FAILED)


def _read_file(path: Path, file_format: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, fields) of every non-blank row; BadInput (one line, exit 2) for an unreadable file."""
    kind = file_format or FORMATS.get(path.suffix.lower())
    if kind not in ("csv", "jsonl"):
        raise BadInput(f"{path.name}: say --format csv or --format jsonl (unknown extension {path.suffix!r})")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return _csv_rows(path.name, text) if kind == "csv" else _json_rows(path.name, text)


def _csv_rows(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    from agent.rules.customer_rows import FIELDS

    reader = csv.DictReader(text.splitlines())
    unknown = [column for column in reader.fieldnames or [] if column not in FIELDS]
    if not reader.fieldnames or unknown:
        found = f"unknown column {', '.join(map(repr, unknown))}" if unknown else "no header line"
        raise BadInput(f"{name} line 1: {found}; the columns are {', '.join(FIELDS)}")
    for fields in reader:
        if None in fields:
            raise BadInput(f"{name} line {reader.line_num}: more values than columns")
        if any(value and value.strip() for value in fields.values()):
            yield reader.line_num, dict(fields)


def _json_rows(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except ValueError as exc:
            raise BadInput(f"{name} line {number}: not JSON ({exc.args[0]})") from None
        if not isinstance(fields, dict):
            raise BadInput(
                f"{name} line {number}: JSON lines hold one object a line, got {type(fields).__name__}"
            )
        yield number, fields


def _refuse(name: str, errors: Sequence[RowError]) -> None:
    """Every problem on its own line, then exit 2: nothing was stored."""
    if not errors:
        return
    for error in errors:
        report(Failure(f"{name} {error}", EXIT_USAGE))
    report(Failure(f"{len(errors)} problem(s) in {name}: nothing was imported", EXIT_USAGE))
    raise typer.Exit(EXIT_USAGE)


def _listed_projects(client: LayersClient) -> list[ProjectSeen]:
    """Every project of this key, 200 a page (a Layers failure is the CLI boundary's one line: 75 when
    Layers is busy or unreachable, 2 for a refused key)."""
    from agent.rules.customer_plan import ProjectSeen

    return [
        ProjectSeen(p.id, p.name, p.timezone, p.customer_external_id, active=p.status in (None, "active"))
        for p in client.iter_projects(limit=PROJECT_PAGE)
    ]


def _plan_and_store(
    services: Services,
    make_plan: Callable[[list[CustomerRecord]], Plan],
    *,
    dry_run: bool,
    all_or_nothing: str | None,
    actor: str,
) -> Plan:
    """Plan against the stored customers and store the plan, in one transaction; with `all_or_nothing` (the
    file's name) any planning error refuses the whole plan."""
    from agent.store import customers

    with services.db.session() as session:
        plan = make_plan(customers.records(session))
        if all_or_nothing is not None:
            _refuse(all_or_nothing, plan.errors)
        _show(plan, dry_run)
        if not dry_run:
            # one configuration decision per change; CustomerExists (a race lost): exit 1, nothing kept
            customers.apply_plan(session, plan=plan, actor=actor)
    return plan


def _show(plan: Plan, dry_run: bool) -> None:
    """The plan as a table, with --dry-run (a real run prints the counts only)."""
    if plan.empty or not dry_run:
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table("change", "project", "customer", "fields", title="plan")
    for fields in plan.adds:
        detail = f"{fields.timezone}, {fields.stage}, runs at {fields.run_at:%H:%M}, {fields.mode}"
        table.add_row("add", fields.layers_project_id, escape(fields.name), detail)
    for update in plan.updates:
        changed = "; ".join(
            f"{name}: {_shown(old)} → {_shown(new)}" for name, (old, new) in update.changes.items()
        )
        table.add_row("update", "", escape(update.name), escape(changed))
    context.console.print(table)


def _shown(value: Any) -> str:
    return "none" if value is None or value == () or value == {} else str(value)


def _summary(plan: Plan, dry_run: bool) -> str:
    counts = [f"{len(plan.adds)} added", f"{len(plan.updates)} updated", f"{plan.unchanged} unchanged"]
    if plan.kept:
        counts.append(f"{plan.kept} kept (not listed by Layers)")
    if plan.errors:
        counts.append(f"{len(plan.errors)} failed")
    return ", ".join(counts) + ("; dry run: nothing stored" if dry_run else "")
