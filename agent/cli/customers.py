"""`agent customers …`: register customers, show them, change their schedule, mode and consent policy.

Every change (add, set, pause, resume, rename, remove) is recorded in the decision table as a decision
with who made it (`--by`, default cli:<OS user>) and each field before and after, and is printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli import context, customer_import
from agent.cli import customer_fields as fields
from agent.cli.exits import BadInput
from agent.cli.output import DocumentFormat, Format, ListFormat, emit_document, emit_list

if TYPE_CHECKING:
    from agent.store.models import Customer

app = typer.Typer(  # plain help: Rich would cost start-up time on every `--help`
    help="Register customers, show them, change and pause them.", no_args_is_help=True, rich_markup_mode=None
)
app.command("import")(customer_import.import_customers)
app.command("sync")(customer_import.sync_customers)

By = Annotated[str | None, typer.Option("--by", help="Who makes the change (default: cli:<OS user>)")]
Ref = Annotated[str, typer.Argument(help="Name, external id, project id or numeric id")]
KindsOption = Annotated[
    list[str] | None,
    typer.Option("--auto-approve", help="A kind its policy approves unasked (value_propositions)"),
]
COLUMNS = (
    "id", "name", "layers_project_id", "external_id", "timezone", "run_at", "stage", "mode", "state",
    "auto_approve_kinds", "threshold_overrides", "auto_schedule", "posting_at",
)  # fmt: skip


@app.command("add")
def add(
    project_id: Annotated[str, typer.Option("--project-id", help="The customer's Layers project id")],
    name: Annotated[str, typer.Option(help="A unique, human name")],
    timezone: Annotated[
        str | None, typer.Option(help="IANA timezone, e.g. America/Los_Angeles (default: the project's)")
    ] = None,
    stage: Annotated[str, typer.Option(help="early | growth | mature")] = "early",
    external_id: Annotated[str | None, typer.Option("--external-id")] = None,
    run_at: Annotated[str | None, typer.Option("--run-at", help="Local run time HH:MM")] = None,
    mode: Annotated[str, typer.Option(help="active | shadow")] = "active",
    overrides: Annotated[
        str | None, typer.Option(help='Threshold overrides as JSON, e.g. {"min_views": 100}')
    ] = None,
    auto_approve: KindsOption = None,
    by: By = None,
) -> None:
    """Register a customer after checking that its Layers project exists (its timezone by default)."""
    from agent.domain.vocabulary import CustomerMode, Reason, Stage
    from agent.layers.errors import NotFound
    from agent.store import audit
    from agent.store import customers as store

    settings = context.settings()
    checked_stage, checked_mode = Stage(fields.stage(stage)), CustomerMode(fields.mode(mode))
    checked_overrides = fields.overrides(overrides) if overrides else {}
    kinds = fields.kinds(auto_approve or [])
    given_tz = fields.timezone(timezone) if timezone else None
    when = fields.run_at(run_at) if run_at else settings.default_run_at
    with context.services() as services:
        try:
            project = services.client.get_project(project_id)
        except NotFound:
            raise context.fail(f"Layers has no project {project_id!r} for this API key") from None
        tz = given_tz or fields.project_timezone(project.timezone, project_id)
        with services.db.session() as session:
            customer = store.add(
                session,
                layers_project_id=project_id,
                name=name,
                timezone=tz,
                external_id=external_id or project.customer_external_id,
                stage=checked_stage,
                mode=checked_mode,
                run_at=when,
                threshold_overrides=checked_overrides,
                auto_approve_kinds=kinds,
            )
            session.flush()
            changed = audit.changes({}, audit.snapshot(customer))
            audit.record(
                session,
                customer=customer,
                reason=Reason.CUSTOMER_ADDED,
                changed=changed,
                actor=fields.actor(by),
            )
            customer_id = customer.id
    source = "" if timezone else " (the project's timezone)"
    typer.echo(f"added customer {customer_id} {name} ({tz}{source}, runs at {when:%H:%M} local)")


def _on_off(option: str, value: str) -> bool:
    if value.strip().lower() not in ("on", "off"):
        raise BadInput(f"{option} {value!r}: use on or off")
    return value.strip().lower() == "on"


def _state(customer: Customer) -> str:
    return "removed" if customer.removed_at else "active" if customer.enabled else "paused"


def _row(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "layers_project_id": customer.layers_project_id,
        "external_id": customer.external_id,
        "timezone": customer.timezone,
        "run_at": f"{customer.run_at:%H:%M}",
        "stage": customer.stage,
        "mode": customer.mode,
        "state": _state(customer),
        "auto_approve_kinds": sorted(customer.auto_approve_kinds or []),
        "threshold_overrides": dict(customer.threshold_overrides or {}),
        "auto_schedule": bool(customer.auto_schedule),
        "posting_at": f"{customer.posting_at:%H:%M}" if customer.posting_at else None,
    }


@app.command("list")
def list_customers(
    include_removed: Annotated[bool, typer.Option("--all", help="Removed customers too")] = False,
    fmt: ListFormat = Format.TABLE,
) -> None:
    """Every customer: schedule, mode, state, consent policy and threshold overrides."""
    from agent.cli.layout import Column, render
    from agent.store import customers as store

    with context.reading() as session:
        rows = [_row(c) for c in store.list_all(session) if include_removed or c.removed_at is None]

    def table() -> None:
        def cells(key: str) -> list[str]:
            return [_cell(row[key]) for row in rows]

        columns = [
            Column("id", cells("id"), 0, right=True),
            Column("name", cells("name"), 1, flexible=True),
            Column("state", cells("state"), 2),
            Column("mode", cells("mode"), 3),
            Column("run at", cells("run_at"), 4),
            Column("timezone", cells("timezone"), 5),
            Column("stage", cells("stage"), 6),
            Column("auto-approve", cells("auto_approve_kinds"), 7),
            Column("overrides", cells("threshold_overrides"), 8, flexible=True),
            Column("project", cells("layers_project_id"), 9),
            Column("external id", cells("external_id"), 10),
        ]
        for line in render(columns, context.width(), len(rows)):
            typer.echo(line)

    emit_list(
        rows,
        fmt,
        columns=COLUMNS,
        table=table,
        empty="no customers match" + ("" if include_removed else " (--all shows removed ones)"),
    )


def _cell(value: Any) -> str:
    from agent.explanations import setting_text

    return setting_text(value) if value not in (None, [], {}) else "-"


@app.command("show")
def show(customer: Ref, fmt: DocumentFormat = Format.TABLE) -> None:
    """One customer in full: settings, consent policy, overrides and its last configuration changes."""
    from agent.explanation_story import local
    from agent.store import customers as store
    from agent.store import reports

    with context.reading() as session:
        target = store.find(session, ref=customer)
        row = _row(target)
        history = reports.configuration_history(session, customer_id=target.id, limit=10)
        row["changes"] = [
            {
                "decision_id": d.id,
                "at": d.created_at,
                "reason": d.reason,
                "by": d.actor,
                "changes": (d.evidence or {}).get("changes", []),
            }
            for d in history
        ]
        shown = [(d.id, local(d.created_at, target.timezone), d.reason, d.actor) for d in history]

    def table() -> None:
        for key in COLUMNS:
            typer.echo(f"{key.replace('_', ' '):<20} {_cell(row[key])}")
        typer.echo("last changes:" if shown else "last changes: none recorded")
        for decision_id, at, reason, actor in shown:
            typer.echo(f"  {at}  {reason} by {actor} (agent explain {decision_id})")

    emit_document(row, fmt, table=table, columns=COLUMNS)


@app.command("pause")
def pause(customer: Ref, by: By = None) -> None:
    """No scheduled runs for this customer until it is resumed."""
    from agent.domain.vocabulary import Reason

    def stop(target: Customer) -> None:
        target.enabled = False

    fields.change(customer, Reason.SCHEDULE_PAUSED, stop, fields.actor(by), "paused")


@app.command("resume")
def resume(customer: Ref, by: By = None) -> None:
    """Schedule this customer's runs again (a removed customer comes back too)."""
    from agent.domain.vocabulary import Reason

    def start(target: Customer) -> None:
        target.enabled, target.removed_at = True, None

    fields.change(customer, Reason.SCHEDULE_RESUMED, start, fields.actor(by), "resumed")


@app.command("remove")
def remove(customer: Ref, by: By = None) -> None:
    """Stop serving this customer for good: it never runs again; its history (decisions, runs) stays."""
    from datetime import UTC, datetime

    from agent.domain.vocabulary import Reason

    def gone(target: Customer) -> None:
        target.enabled = False
        target.removed_at = target.removed_at or datetime.now(UTC).replace(microsecond=0)

    fields.change(customer, Reason.CUSTOMER_REMOVED, gone, fields.actor(by), "removed (its history is kept)")


@app.command("rename")
def rename(
    customer: Ref, new_name: Annotated[str, typer.Argument(help="The new, unique name")], by: By = None
) -> None:
    """Give a customer a new name (its decisions and runs follow it)."""
    from agent.domain.vocabulary import Reason

    if not new_name.strip():
        raise BadInput("the new name is empty")

    def named(target: Customer) -> None:
        target.name = new_name.strip()

    fields.change(customer, Reason.CUSTOMER_RENAMED, named, fields.actor(by), "renamed")


@app.command("set")
def set_fields(
    customer: Ref,
    mode: Annotated[str | None, typer.Option(help="active | shadow")] = None,
    stage: Annotated[str | None, typer.Option(help="early | growth | mature")] = None,
    run_at: Annotated[str | None, typer.Option("--run-at", help="Local run time HH:MM")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA timezone")] = None,
    overrides: Annotated[str | None, typer.Option(help="Threshold overrides as JSON (replaces them)")] = None,
    auto_approve: KindsOption = None,
    clear_auto_approve: Annotated[
        bool, typer.Option("--clear-auto-approve", help="Every proposal waits for consent again")
    ] = False,
    auto_schedule: Annotated[
        str | None, typer.Option("--auto-schedule", help="on | off: schedule approved clones without asking")
    ] = None,
    posting_at: Annotated[
        str | None,
        typer.Option("--posting-at", help="Local posting slot HH:MM (default: DEFAULT_POSTING_AT)"),
    ] = None,
    by: By = None,
) -> None:
    """Change a customer's mode, stage, run time, timezone, thresholds or consent policy; prints each change."""
    from agent.domain.vocabulary import Reason

    if clear_auto_approve and auto_approve:
        raise BadInput("--auto-approve and --clear-auto-approve contradict each other")
    wanted: dict[str, Any] = {
        "mode": fields.mode(mode) if mode is not None else None,
        "stage": fields.stage(stage) if stage is not None else None,
        "run_at": fields.run_at(run_at) if run_at is not None else None,
        "timezone": fields.timezone(timezone) if timezone is not None else None,
        "threshold_overrides": fields.overrides(overrides) if overrides is not None else None,
        "auto_approve_kinds": []
        if clear_auto_approve
        else fields.kinds(auto_approve)
        if auto_approve
        else None,
        # publish and learn (issue 15): consent for scheduling, and the local posting slot
        "auto_schedule": _on_off("--auto-schedule", auto_schedule) if auto_schedule is not None else None,
        "posting_at": fields.run_at(posting_at) if posting_at is not None else None,
    }

    def apply(target: Customer) -> None:
        for field, value in wanted.items():
            if value is not None:
                setattr(target, field, value)

    fields.change(customer, Reason.SETTINGS_CHANGED, apply, fields.actor(by), "changed")
