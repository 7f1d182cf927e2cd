"""`agent customers …`: register customers and control their schedule and mode."""

from __future__ import annotations

import json
import re
from datetime import time
from typing import Annotated

import typer
from rich.table import Table

from agent.cli import context
from agent.domain.vocabulary import CustomerMode, Stage, values
from agent.layers.errors import LayersError, NotFound
from agent.rules.schedule import validate_timezone
from agent.store import customers as store

RUN_AT = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")

app = typer.Typer(help="Register customers and control their schedule.", no_args_is_help=True)


def parse_run_at(value: str) -> time:
    match = RUN_AT.fullmatch(value)
    if match is None:
        raise typer.BadParameter(f"{value!r} is not a local time like 06:30")
    return time(int(match[1]), int(match[2]))


def _check_choice(value: str, choices: type[Stage] | type[CustomerMode], name: str) -> str:
    if value not in values(choices):
        raise typer.BadParameter(f"{name} must be one of {', '.join(values(choices))}")
    return value


@app.command("add")
def add(
    project_id: Annotated[str, typer.Option("--project-id", help="The customer's Layers project id")],
    name: Annotated[str, typer.Option(help="A unique, human name")],
    timezone: Annotated[str, typer.Option(help="IANA timezone, e.g. America/Los_Angeles")],
    stage: Annotated[str, typer.Option(help="early | growth | mature")] = "early",
    external_id: Annotated[str | None, typer.Option("--external-id")] = None,
    run_at: Annotated[str | None, typer.Option("--run-at", help="Local run time HH:MM")] = None,
    mode: Annotated[str, typer.Option(help="active | shadow")] = "active",
    overrides: Annotated[
        str | None, typer.Option(help='Threshold overrides as JSON, e.g. {"min_views": 100}')
    ] = None,
    auto_approve: Annotated[
        list[str] | None, typer.Option("--auto-approve", help="Kind allowed to run unapproved")
    ] = None,
) -> None:
    """Register a customer after checking that its Layers project exists."""
    _check_choice(stage, Stage, "--stage")
    _check_choice(mode, CustomerMode, "--mode")
    settings = context.settings()
    with context.friendly_errors():
        tz = validate_timezone(timezone)
        parsed_overrides = json.loads(overrides) if overrides else {}
        settings.thresholds().with_overrides(parsed_overrides)
    when = parse_run_at(run_at) if run_at else settings.default_run_at
    with context.services() as services:
        try:
            project = services.client.get_project(project_id)
        except NotFound:
            raise context.fail(f"Layers has no project {project_id!r} for this API key") from None
        except LayersError as exc:
            raise context.fail(f"could not check project {project_id!r}: {exc.code} ({exc.status})") from None
        try:
            with services.db.session() as session:
                customer = store.add(
                    session,
                    layers_project_id=project_id,
                    name=name,
                    timezone=tz,
                    external_id=external_id or project.customer_external_id,
                    stage=Stage(stage),
                    mode=CustomerMode(mode),
                    run_at=when,
                    threshold_overrides=parsed_overrides,
                    auto_approve_kinds=auto_approve or [],
                )
                customer_id = customer.id
        except store.CustomerExists as exc:
            raise context.fail(str(exc)) from None
    context.console.print(
        f"added customer {customer_id} [bold]{name}[/bold] ({tz}, runs at {when:%H:%M} local)"
    )


@app.command("list")
def list_customers() -> None:
    """Every customer, with its schedule and mode."""
    table = Table("id", "name", "project", "external id", "timezone", "run at", "stage", "mode", "enabled")
    with context.database() as db, db.session() as session:
        for c in store.list_all(session):
            table.add_row(
                str(c.id),
                c.name,
                c.layers_project_id,
                c.external_id or "",
                c.timezone,
                f"{c.run_at:%H:%M}",
                c.stage,
                c.mode,
                "yes" if c.enabled else "paused",
            )
    context.console.print(table)


def _set_enabled(ref: str, enabled: bool) -> None:
    with context.friendly_errors(), context.database() as db, db.session() as session:
        customer = store.find(session, ref=ref)
        customer.enabled = enabled
        name = customer.name
    context.console.print(f"{name}: {'resumed' if enabled else 'paused'}")


@app.command("pause")
def pause(customer: str) -> None:
    """Skip this customer's scheduled runs until resumed."""
    _set_enabled(customer, False)


@app.command("resume")
def resume(customer: str) -> None:
    """Schedule this customer's runs again."""
    _set_enabled(customer, True)


@app.command("set")
def set_fields(
    customer: str,
    mode: Annotated[str | None, typer.Option(help="active | shadow")] = None,
    stage: Annotated[str | None, typer.Option(help="early | growth | mature")] = None,
    run_at: Annotated[str | None, typer.Option("--run-at", help="Local run time HH:MM")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA timezone")] = None,
    overrides: Annotated[str | None, typer.Option(help="Threshold overrides as JSON (replaces)")] = None,
    auto_approve: Annotated[list[str] | None, typer.Option("--auto-approve")] = None,
) -> None:
    """Change a customer's mode, stage, run time, timezone, thresholds or consent policy."""
    with context.friendly_errors(), context.database() as db, db.session() as session:
        target = store.find(session, ref=customer)
        if mode is not None:
            target.mode = _check_choice(mode, CustomerMode, "--mode")
        if stage is not None:
            target.stage = _check_choice(stage, Stage, "--stage")
        if run_at is not None:
            target.run_at = parse_run_at(run_at)
        if timezone is not None:
            target.timezone = validate_timezone(timezone)
        if overrides is not None:
            parsed = json.loads(overrides)
            context.settings().thresholds().with_overrides(parsed)
            target.threshold_overrides = parsed
        if auto_approve is not None:
            target.auto_approve_kinds = list(auto_approve)
        name = target.name
    context.console.print(f"{name}: updated")
