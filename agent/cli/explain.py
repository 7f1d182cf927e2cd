"""`agent explain DECISION_ID`: one decision in plain words, with the clone, job and approval that followed."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agent.cli import context
from agent.explanations import sentences
from agent.store import decisions, reports


def explain(
    decision_id: Annotated[int, typer.Argument(help="The decision to explain")],
    as_json: Annotated[bool, typer.Option("--json", help="Also print the raw evidence")] = False,
) -> None:
    """Explain a decision in plain words: the rule, its thresholds, the evidence, and what followed."""
    with context.database() as db, db.session() as session:
        try:
            expl = reports.explanation(session, decision_id=decision_id)
        except LookupError as exc:
            raise context.fail(str(exc)) from None
        evidence = decisions.evidence_of(expl.decision)
        for line in sentences(expl, evidence):
            # Not markup: ids, paths and Layers' error messages may hold "[...]" (e.g. "[redacted]").
            context.console.print(line, highlight=False, soft_wrap=True, markup=False)
        if as_json:
            typer.echo(json.dumps(evidence.to_json(), indent=2, sort_keys=True, default=str))
