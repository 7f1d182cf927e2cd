"""The decision table as ops read it: one line per decision, short ids or titles, what became of it.

Shared by every command that shows decisions (`agent decisions`, `agent run`, `agent demo`), as a table
that fits the terminal (`agent.cli.layout`) or as rows for JSON and CSV.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agent.cli.layout import Column, render
from agent.domain.evidence import ConfigurationChange, Evidence, PostVerdict, read_evidence
from agent.domain.ids import bare_id
from agent.domain.vocabulary import CONFIGURATION, Action, LoopName, Reason, SubjectType, values
from agent.rules.thresholds import RULE_VERSION_PREFIXES

if TYPE_CHECKING:
    from agent.store.decision_outcomes import Outcomes
    from agent.store.models import Decision

KEY_EVIDENCE = ("engagement_rate", "median_engagement_rate", "views", "clone_number", "spend", "confidence")
COLUMNS = (
    "id", "created_at", "customer_id", "customer", "run_id", "loop", "action", "reason", "outcome",
    "subject_type", "subject_id", "title", "rule_version", "actor", "parent_id", "evidence",
)  # fmt: skip
APPROVAL_OUTCOME = {
    "pending": "needs approval",
    "approved": "approved",
    "executed": "executed",
    "rejected": "rejected",
    "failed": "failed",
    "refused": "refused",
}
WORK_OUTCOME = {"pending": "not sent yet", "timed_out": "timed out"}
NOT_SENT = frozenset({Action.SHADOW_CLONE, Action.SHADOW_COMMISSION, Action.SHADOW_ACT})
# Run-level subjects: the customer, its run or its pool; the row's customer already says which.
RUN_LEVEL = frozenset({SubjectType.CUSTOMER, SubjectType.RUN, SubjectType.CREATIVE_POOL})
SHORT_ID_MIN = 8
UUID_LIKE = re.compile(r"[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}")


def evidence_of(decision: Decision) -> Evidence:
    return read_evidence(decision.reason, decision.subject_type, decision.evidence)


def outcome(decision: Decision, outcomes: Outcomes) -> str:
    """What became of the decision: its proposal's or its work's state, or whether it sent nothing."""
    if decision.id in outcomes.approvals:
        return APPROVAL_OUTCOME.get(outcomes.approvals[decision.id], outcomes.approvals[decision.id])
    work = outcomes.work.get(decision.id)
    if work is not None:
        if work.status == "completed" and work.approval_status == "pending":
            return "in review"  # completed; the customer reviews it at Layers
        return WORK_OUTCOME.get(work.status, work.status)
    if decision.action in NOT_SENT or decision.reason == Reason.KILL_SWITCH:
        return "not sent"
    if decision.action == Action.ERROR:
        return "failed"
    return ""


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each UUID cut to the shortest prefix (8 characters at least) no other id here shares; other ids, which
    people chose and recognise, are kept whole."""
    bares = {i: bare_id(i) or i for i in set(ids)}
    found: dict[str, str] = {}
    for full, bare in bares.items():
        if not UUID_LIKE.fullmatch(bare):
            found[full] = full
            continue
        others = [b for f, b in bares.items() if f != full]
        length = SHORT_ID_MIN
        while length < len(bare) and any(b.startswith(bare[:length]) for b in others):
            length += 1
        found[full] = full[: len(full) - len(bare) + length]
    return found


def title(decision: Decision, evidence: Evidence, outcomes: Outcomes, short: Mapping[str, str]) -> str:
    """A post's title, a recommendation's label, the settings a change touched; else a short id."""
    if isinstance(evidence, ConfigurationChange):
        return ", ".join(change.field for change in evidence.changes)
    if isinstance(evidence, PostVerdict) and evidence.title:
        return evidence.title
    subject = decision.subject_id or ""
    if decision.subject_type == SubjectType.RECOMMENDATION and subject in outcomes.labels:
        return outcomes.labels[subject]
    if decision.subject_type in RUN_LEVEL:
        return ""
    return short.get(subject, subject)


def loop_tag(loop: str) -> str:
    """ptl, opt, wkr (the rule versions' own tags), cfg for a configuration change."""
    if loop in set(values(LoopName)):
        return RULE_VERSION_PREFIXES.get(LoopName(loop), loop)
    return "cfg" if loop == CONFIGURATION else loop


def brief(evidence: Mapping[str, Any]) -> str:
    parts = []
    for key in KEY_EVIDENCE:
        value = evidence.get(key)
        if value is not None:
            parts.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(parts)


def decision_row(decision: Decision, customer_name: str | None, outcomes: Outcomes) -> dict[str, Any]:
    """A decision as JSON and CSV show it: every field, its outcome and its subject's title."""
    evidence = evidence_of(decision)
    return {
        "id": decision.id,
        "created_at": decision.created_at.isoformat() if decision.created_at else None,
        "customer_id": decision.customer_id,
        "customer": customer_name,
        "run_id": decision.run_id,
        "loop": decision.loop,
        "action": decision.action,
        "reason": decision.reason,
        "outcome": outcome(decision, outcomes) or None,
        "subject_type": decision.subject_type,
        "subject_id": decision.subject_id,
        "title": title(decision, evidence, outcomes, {}) or None,
        "rule_version": decision.rule_version,
        "actor": decision.actor,
        "parent_id": decision.parent_id,
        "evidence": decision.evidence,
    }


def decision_lines(
    decisions: Sequence[Decision],
    *,
    names: Mapping[int, str],
    outcomes: Outcomes,
    width: int | None,
    show_customer: bool = True,
) -> list[str]:
    """The compact table in `width` cells (one line per decision), or every column in full (None).
    `show_customer` False leaves the customer out (the heading names the one customer)."""
    wide = width is None
    short = {} if wide else short_ids(d.subject_id for d in decisions if d.subject_id)
    evidence = [evidence_of(d) for d in decisions]
    when = "%Y-%m-%d %H:%M" if wide else "%m-%d %H:%M"
    customer = Column("customer", [names.get(d.customer_id, "") for d in decisions], 4, flexible=True)
    columns = [
        Column("id", [str(d.id) for d in decisions], 0, right=True),
        Column("when (UTC)", [f"{d.created_at:{when}}" if d.created_at else "" for d in decisions], 5),
        *([customer] if show_customer else []),
        Column("loop", [d.loop.replace("_", "-") if wide else loop_tag(d.loop) for d in decisions], 7),
        Column("action", [d.action for d in decisions], 1),
        Column("reason", [d.reason for d in decisions], 2),
        Column("outcome", [outcome(d, outcomes) for d in decisions], 3),
        Column(
            "subject",
            [title(d, e, outcomes, short) for d, e in zip(decisions, evidence, strict=True)],
            6,
            flexible=True,
        ),
    ]
    if wide:
        columns += [
            Column("subject id", [d.subject_id or "" for d in decisions], 8),
            Column("run", [str(d.run_id or "") for d in decisions], 9),
            Column("by", [d.actor for d in decisions], 10),
            Column("rule version", [d.rule_version or "" for d in decisions], 11),
            Column("evidence", [brief(d.evidence or {}) for d in decisions], 12),
        ]
    return render(columns, width, len(decisions), hint="--wide shows every column")
