"""`agent approve`, `agent reject`, `agent pending`: the consent gate from the ops side."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli import context
from agent.domain.vocabulary import ApprovalStatus
from agent.loops import consent
from agent.store import reports


def _actor(given: str | None) -> str:
    return given or f"cli:{getpass.getuser()}"


def approve(
    decision_id: Annotated[int, typer.Argument(help="The pending_approval decision")],
    by: Annotated[str | None, typer.Option("--by", help="Who approves (default: the OS user)")] = None,
    note: Annotated[str | None, typer.Option(help="Why")] = None,
) -> None:
    """Approve a proposed action and execute it once."""
    with context.services() as services:
        try:
            verdict = consent.approve(services, decision_id, actor=_actor(by), note=note)
        except consent.ConsentError as exc:
            raise context.fail(str(exc)) from None
    context.console.print(f"decision {decision_id}: {verdict.status} ({verdict.detail})")
    if verdict.status in (ApprovalStatus.FAILED, ApprovalStatus.REFUSED):
        raise typer.Exit(1)


def reject(
    decision_id: Annotated[int, typer.Argument(help="The pending_approval decision")],
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who rejects (default: the OS user)")] = None,
) -> None:
    """Turn down a proposed action; it will never execute."""
    with context.services() as services:
        try:
            consent.reject(services, decision_id, actor=_actor(by), note=note)
        except consent.ConsentError as exc:
            raise context.fail(str(exc)) from None
    context.console.print(f"decision {decision_id}: rejected")


def pending(
    customer: Annotated[str | None, typer.Option(help="Name, external id, project id or id")] = None,
) -> None:
    """Actions waiting for the customer's approval."""
    table = Table("decision", "customer", "kind", "action", "proposed", "status")
    with context.friendly_errors(), context.database() as db, db.session() as session:
        for approval, name in reports.pending_approvals(session, customer=customer):
            table.add_row(
                str(approval.decision_id),
                escape(name),
                escape(approval.kind),
                escape(f"{approval.method} {approval.path}"),
                f"{approval.created_at:%Y-%m-%d %H:%M}",
                approval.status,
            )
    context.console.print(table)
