"""Rich tables and JSON lines for decisions, shared by every command that shows them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rich.markup import escape
from rich.table import Table

from agent.store.models import Decision

KEY_EVIDENCE = ("engagement_rate", "median_engagement_rate", "views", "clone_number", "spend", "confidence")


def decision_row(decision: Decision, customer_name: str | None = None) -> dict[str, Any]:
    return {
        "id": decision.id,
        "created_at": decision.created_at.isoformat() if decision.created_at else None,
        "customer_id": decision.customer_id,
        "customer": customer_name,
        "run_id": decision.run_id,
        "loop": decision.loop,
        "action": decision.action,
        "reason": decision.reason,
        "subject_type": decision.subject_type,
        "subject_id": decision.subject_id,
        "rule_version": decision.rule_version,
        "actor": decision.actor,
        "parent_id": decision.parent_id,
        "evidence": decision.evidence,
    }


def json_lines(rows: Iterable[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(row, sort_keys=True, default=str) for row in rows)


def _brief(evidence: dict[str, Any]) -> str:
    parts = []
    for key in KEY_EVIDENCE:
        value = evidence.get(key)
        if value is not None:
            parts.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(parts)


def decisions_table(
    decisions: Iterable[Decision], *, title: str = "decisions", names: dict[int, str] | None = None
) -> Table:
    table = Table(title=escape(title))
    for header in ("id", "when", "customer", "loop", "action", "reason", "subject", "evidence"):
        # Codes and ids are what ops grep for: wrap them, never cut them short with an ellipsis.
        table.add_column(header, overflow="fold")
    for d in decisions:
        # Escaped: subjects and evidence come from Layers and customers, and "[...]" is Rich markup.
        table.add_row(
            *(
                escape(cell)
                for cell in (
                    str(d.id),
                    f"{d.created_at:%Y-%m-%d %H:%M}" if d.created_at else "",
                    (names or {}).get(d.customer_id, str(d.customer_id)),
                    d.loop,
                    d.action,
                    d.reason,
                    d.subject_id or "",
                    _brief(d.evidence or {}),
                )
            )
        )
    return table
