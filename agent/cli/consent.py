"""`agent pending`, `agent approve`, `agent reject`: the consent gate from the ops side.

`pending` shows each proposal as an approver needs it: the request, the change as a diff against the
resource as Layers has it now, the recommendation's rationale, its confidence and evidence.
"""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from agent.cli import context
from agent.cli.output import Format, ListFormat, emit_list
from agent.proposal_diff import heading

COLUMNS = (
    "decision_id", "customer", "kind", "status", "method", "path", "proposed_at", "confidence",
    "rationale", "evidence", "changes", "current_known", "note",
)  # fmt: skip
STATUS_WORDS = {"pending": "waiting for approval", "approved": "approved, waiting to execute"}


def _actor(given: str | None) -> str:
    return given or f"cli:{getpass.getuser()}"


def approve(
    decision_id: Annotated[int, typer.Argument(help="The proposal (its pending_approval decision)")],
    by: Annotated[str | None, typer.Option("--by", help="Who approves (default: cli:<OS user>)")] = None,
    note: Annotated[str | None, typer.Option(help="Why")] = None,
) -> None:
    """Approve a proposed action and execute it once (exit 1 when it was refused or failed)."""
    from agent.domain.vocabulary import ApprovalStatus
    from agent.loops import consent

    with context.services() as services:
        try:
            verdict = consent.approve(services, decision_id, actor=_actor(by), note=note)
        except consent.ConsentError as exc:
            raise context.fail(str(exc)) from None
    typer.echo(f"decision {decision_id}: {verdict.status} ({verdict.detail})")
    if verdict.status in (ApprovalStatus.FAILED, ApprovalStatus.REFUSED):
        raise typer.Exit(1)


def reject(
    decision_id: Annotated[int, typer.Argument(help="The proposal (its pending_approval decision)")],
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who rejects (default: cli:<OS user>)")] = None,
) -> None:
    """Turn down a proposed action; it will never execute."""
    from agent.loops import consent

    with context.services() as services:
        try:
            consent.reject(services, decision_id, actor=_actor(by), note=note)
        except consent.ConsentError as exc:
            raise context.fail(str(exc)) from None
    typer.echo(f"decision {decision_id}: rejected")


def pending(
    customer: Annotated[str | None, typer.Option(help="Name, external id, project id or id")] = None,
    fmt: ListFormat = Format.TABLE,
) -> None:
    """Proposals waiting for consent (or approved, waiting to execute), each as the change it makes."""
    from agent.explanation_story import local
    from agent.proposal_compare import compare
    from agent.store import customers, reports

    with context.reading() as session:
        customer_id = customers.find(session, ref=customer).id if customer else None
        found = reports.pending_approvals(session, customer_id=customer_id)
    compared = compare(
        context.settings(),
        ((p.approval.decision_id, p.approval.method, p.approval.path, p.approval.body) for p in found),
    )
    rows: list[dict[str, Any]] = []
    for proposal in found:
        a, rec = proposal.approval, proposal.recommendation
        payload = (rec.payload or {}) if rec is not None else {}
        comparison = compared[a.decision_id]
        rows.append(
            {
                "decision_id": a.decision_id,
                "customer": proposal.customer,
                "kind": a.kind,
                "status": a.status,
                "method": a.method,
                "path": a.path,
                "proposed_at": a.created_at,
                "proposed_local": local(a.created_at, proposal.timezone),
                "confidence": rec.confidence if rec is not None else None,
                "rationale": payload.get("rationale"),
                "evidence": payload.get("evidence"),
                "changes": [change.as_json() for change in comparison.changes],
                "current_known": comparison.current_known,
                "note": comparison.note,
                "_diff": comparison.lines,
            }
        )

    def table() -> None:
        for row in rows:
            typer.echo(_block(row))

    emit_list(
        [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows],
        fmt,
        columns=COLUMNS,
        table=table,
        empty="no proposals are waiting" + (f" for {customer}" if customer else ""),
    )


def _block(row: dict[str, Any]) -> str:
    decision = row["decision_id"]
    lines = [
        f"proposal {decision} · {row['customer']} · {row['kind']} · "
        f"{STATUS_WORDS.get(row['status'], row['status'])} · proposed {row['proposed_local']}",
        f"  {row['method']} {row['path']}",
    ]
    if row["confidence"] is not None:
        lines.append(f"  confidence {row['confidence']:.2f}")
    if row["rationale"]:
        lines.append(f"  rationale: {row['rationale']}")
    if row["evidence"]:
        lines.append("  evidence: " + ", ".join(f"{k}={v}" for k, v in sorted(row["evidence"].items())))
    lines.append(f"  {heading(current_known=row['current_known'])}")
    lines.extend(f"  {line}" for line in row["_diff"])
    if row["note"]:
        lines.append(f"  ({row['note']})")
    if row["status"] == "pending":
        lines.append(
            f"  approve: agent approve {decision} --by NAME   reject: agent reject {decision} --note WHY"
        )
    return "\n".join(lines) + "\n"
