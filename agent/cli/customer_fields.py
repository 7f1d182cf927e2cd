"""What `agent customers` checks and how it records a change: the option values validated (one owner each:
the vocabulary, the schedule, the thresholds, the consent gate's kinds) and every change written as a
configuration decision with its before and after, then printed."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from agent.cli import context
from agent.cli.exits import BadInput

if TYPE_CHECKING:
    from agent.domain.evidence import FieldChange
    from agent.domain.vocabulary import Reason
    from agent.store.models import Customer


def actor(given: str | None) -> str:
    return given or f"cli:{getpass.getuser()}"


def mode(value: str) -> str:
    from agent.cli.choices import one_of
    from agent.domain.vocabulary import CustomerMode, values

    return one_of("--mode", value, values(CustomerMode))


def stage(value: str) -> str:
    from agent.cli.choices import one_of
    from agent.domain.vocabulary import Stage, values

    return one_of("--stage", value, values(Stage))


def run_at(value: str) -> Any:
    from agent.rules.customer_rows import parse_run_at

    try:
        return parse_run_at(value)
    except ValueError as exc:
        raise BadInput(f"--run-at: {exc}") from None


def timezone(value: str) -> str:
    from agent.rules.schedule import validate_timezone

    try:
        return validate_timezone(value)
    except ValueError as exc:
        raise BadInput(f"--timezone: {exc}") from None


def overrides(value: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise BadInput('--overrides must be a JSON object such as {"min_views": 100}') from None
    if not isinstance(parsed, dict):
        raise BadInput('--overrides must be a JSON object such as {"min_views": 100}')
    try:
        context.settings().thresholds().with_overrides(parsed)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"--overrides: {exc}") from None
    return parsed


def kinds(given: list[str]) -> list[str]:
    """The kinds a policy may approve unasked: the consent gate's own kinds, nothing else."""
    from agent.rules.customer_rows import AUTO_APPROVABLE

    wrong = sorted({kind for kind in given if kind not in AUTO_APPROVABLE})
    if wrong:
        shown = ", ".join(repr(kind) for kind in wrong)
        raise BadInput(
            f"--auto-approve {shown}: only {', '.join(sorted(AUTO_APPROVABLE))} can be auto-approved"
        )
    return sorted(set(given))


def print_changes(name: str, verb: str, changed: list[FieldChange]) -> None:
    from agent.explanations import setting_text

    if not changed:
        typer.echo(f"{name}: nothing changed")
        return
    typer.echo(f"{name}: {verb}")
    for change in changed:
        typer.echo(f"  {change.field}: {setting_text(change.before)} → {setting_text(change.after)}")


def change(ref: str, reason: Reason, mutate: Callable[[Customer], None], actor: str, verb: str) -> None:
    """Find the customer, change it, record the change with its before and after, print it."""
    from agent.store import audit
    from agent.store import customers as store

    with context.database() as db, db.session() as session:
        target = store.find(session, ref=ref)
        before = audit.snapshot(target)
        mutate(target)
        session.flush()
        changed = audit.changes(before, audit.snapshot(target))
        if changed:
            audit.record(session, customer=target, reason=reason, changed=changed, actor=actor)
        name = target.name
    print_changes(name, verb, changed)


def project_timezone(value: str | None, project_id: str) -> str:
    from agent.rules.schedule import validate_timezone

    try:
        return validate_timezone(value or "")
    except ValueError:
        raise BadInput(f"project {project_id} has no usable timezone ({value!r}): give --timezone") from None
