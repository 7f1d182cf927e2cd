"""`agent explain DECISION_ID`: one decision in plain words, with the clone, job and approval that followed,
and, for a proposal, the change it makes against the project as Layers has it now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli import context
from agent.cli.output import DocumentFormat, Format, emit_document
from agent.cli.render import COLUMNS, decision_row
from agent.proposal_diff import heading

if TYPE_CHECKING:
    from agent.store.models import Approval, Clone, Commission, Job, Recommendation


def _fields(
    row: Clone | Commission | Job | Approval | Recommendation | None, hidden: tuple[str, ...] = ()
) -> Any:
    """A row as JSON, minus what must not leave the database (idempotency keys)."""
    if row is None:
        return None
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in hidden}


def explain(
    decision_id: Annotated[int, typer.Argument(help="The decision to explain")],
    fmt: DocumentFormat = Format.TABLE,
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json")] = False,
) -> None:
    """Explain a decision in plain words: the rule, its thresholds, the evidence, and what followed.

    `--format json` is one document: the decision, its typed evidence, its clone or commission, job and
    proposal (with the change it makes), the decision it follows and the decisions that followed it.
    """
    from agent.explanations import sentences
    from agent.proposal_compare import compare
    from agent.store import decision_outcomes, decisions, reports

    with context.reading() as session:
        try:
            expl = reports.explanation(session, decision_id=decision_id)
        except LookupError as exc:
            raise context.fail(str(exc)) from None
        evidence = decisions.evidence_of(expl.decision)
        text = sentences(expl, evidence)
        name = expl.customer.name
        done = decision_outcomes.of(
            session, [expl.decision, *expl.followups, *([expl.parent] if expl.parent else [])]
        )
        document: dict[str, Any] = {
            "decision": decision_row(expl.decision, name, done),
            "evidence_type": type(evidence).__name__,
            "evidence": evidence.to_json(),
            "explanation": text,
            "clone": _fields(expl.clone, ("idempotency_key",)),
            "commission": _fields(expl.commission, ("idempotency_key",)),
            "job": _fields(expl.job),
            "approval": _fields(expl.approval, ("idempotency_key",)),
            "recommendation": _fields(expl.recommendation),
            "follows": decision_row(expl.parent, name, done) if expl.parent is not None else None,
            "followups": [decision_row(f, name, done) for f in expl.followups],
        }
        approval = expl.approval
    if approval is not None and approval.status in ("pending", "approved"):
        request = (approval.decision_id, approval.method, approval.path, approval.body)
        comparison = compare(context.settings(), [request])[approval.decision_id]
        document["approval"]["changes"] = [change.as_json() for change in comparison.changes]
        text += [f"The {heading(current_known=comparison.current_known)}", *comparison.lines]
        text += [f"({comparison.note})"] if comparison.note else []

    def table() -> None:
        for line in text:
            typer.echo(line)

    emit_document(
        document, Format.JSON if as_json else fmt, table=table, columns=COLUMNS, row=document["decision"]
    )
