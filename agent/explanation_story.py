"""What `agent explain` tells around a decision's own evidence: when it was made (in the customer's own
time), what a restrained decision would have done, the clone or commission it started and its job, its
proposal and every step of it, and, for a step, the proposal it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.domain.evidence import ConsentStep, Evidence, PoolCheck, PostVerdict, Triage, read_evidence
from agent.domain.vocabulary import Action, Reason, Restraint
from agent.rules.thresholds import MAX_CLONE_SLOTS
from agent.store.models import Approval, Decision
from agent.store.reports import Explanation

WOULD = {
    Action.SHADOW_CLONE: "cloned the post",
    Action.SHADOW_COMMISSION: "commissioned fresh creative",
    Action.SHADOW_ACT: "acted on the recommendation",
}
WOULD_BY_EVIDENCE = {
    PostVerdict: "cloned the post",
    PoolCheck: "commissioned fresh creative",
    Triage: "acted on it",
}
HELD = {
    Restraint.SHADOW_MODE: "the customer is in shadow mode",
    Restraint.KILL_SWITCH: "the kill switch is on",
}
PROPOSAL_STATUS = {
    "pending": "waiting for approval",
    "approved": "approved, not executed yet",
    "executed": "executed",
    "rejected": "rejected",
    "failed": "approved, but Layers refused it",
    "refused": "approved, then refused by the agent",
}


def local(moment: datetime | None, tz: str) -> str:
    """A time in the customer's own timezone, with its abbreviation (PST, CET…)."""
    if moment is None:
        return "an unknown time"
    return f"{moment.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M %Z}"


def header(expl: Explanation) -> str:
    d, tz = expl.decision, expl.customer.timezone
    utc = f"{d.created_at.astimezone(UTC):%H:%M} UTC" if d.created_at else "UTC unknown"
    by = f", by {d.actor}" if d.actor != "agent" else ""
    return (
        f"Decision {d.id} for {expl.customer.name}, {d.loop.replace('_', '-')} loop, "
        f"{local(d.created_at, tz)} ({utc}): {d.action} / {d.reason}{by}."
    )


def restraint(decision: Decision, evidence: Evidence) -> str | None:
    """What a shadow or kill-switch decision would have done, said as such."""
    held = getattr(evidence, "restraint", None)
    would = WOULD.get(Action(decision.action))
    if decision.reason == Reason.KILL_SWITCH:
        held = held or Restraint.KILL_SWITCH
        would = would or WOULD_BY_EVIDENCE.get(type(evidence))
    if would is None or held is None:
        return None
    return f"It would have {would} (nothing was sent: {HELD[Restraint(held)]})."


def work(expl: Explanation, evidence: Evidence) -> list[str]:
    """The clone or commission the decision started, its job, and how it ended."""
    tz = expl.customer.timezone
    if expl.clone is not None:
        clone = expl.clone
        verdict = evidence if isinstance(evidence, PostVerdict) else None
        slot = evidence.clone_slot if isinstance(evidence, PostVerdict | Triage) else None
        # A failed clone gave its slot back: the number it had is the one its decision recorded.
        number = (verdict.clone_number if verdict else None) or slot or clone.slot
        cap = verdict.thresholds.max_clones_per_source if verdict else MAX_CLONE_SLOTS
        story = [f"Clone {number} of {cap} {clone.status} as container {clone.container_id}"]
        error, review = (clone.error_code, clone.error_message), clone.approval_status
    elif expl.commission is not None:
        commission = expl.commission
        story = [f"Commission {commission.status} as container {commission.container_id}"]
        error, review = (commission.error_code, commission.error_message), None
    else:
        return []
    if expl.job is not None:
        job = expl.job
        ended = (
            f" at {local(job.finished_at, tz)}"
            if job.finished_at
            else f", next poll {local(job.next_poll_at, tz)}"
        )
        story.append(f"job {job.job_id} {job.status}{ended}")
    if error[0]:
        story.append(f"error {error[0]}: {(error[1] or '').rstrip('.')}")
    if review == "pending":
        story.append("waiting for the customer's review at Layers")
    elif review:
        story.append(f"the customer's review at Layers: {review}")
    return ["; ".join(story) + "."]


def _result(result: Mapping[str, Any] | None) -> str | None:
    if not result:
        return None
    if "error" in result:
        return f"Layers refused it: {result['error']}."
    response = result.get("response")
    if isinstance(response, Mapping) and response:
        fields = ", ".join(sorted(str(key) for key in response)[:6])
        return f"Layers accepted it and answered with {fields}."
    return "Layers accepted it."


def proposal(approval: Approval, tz: str) -> list[str]:
    """A proposal: the request, where it stands, who decided and when, the note and the result."""
    story = (
        f"Proposed {approval.method} {approval.path}: {PROPOSAL_STATUS.get(approval.status, approval.status)}"
    )
    if approval.decided_by and approval.decided_at:
        verb = "rejected" if approval.status == "rejected" else "approved"
        story += f"; {verb} by {approval.decided_by} at {local(approval.decided_at, tz)}"
    if approval.executed_at:
        story += f"; executed at {local(approval.executed_at, tz)}"
    lines = [story + "."]
    if approval.note:
        lines.append(f"Note: {approval.note}.")
    result = _result(approval.result)
    if result:
        lines.append(result)
    return lines


def parent(expl: Explanation) -> list[str]:
    """For a step (approve, reject, execute, refuse): the proposal it belongs to."""
    if expl.parent is None:
        return []
    p = expl.parent
    lines = [f"It is a step of decision {p.id}: {p.action} / {p.reason}."]
    if expl.parent_approval is not None:
        lines.extend(proposal(expl.parent_approval, expl.customer.timezone))
    return lines


def _step(followup: Decision, tz: str) -> str:
    evidence = read_evidence(followup.reason, followup.subject_type, followup.evidence)
    note = evidence.note if isinstance(evidence, ConsentStep) and evidence.note else None
    when = local(followup.created_at, tz)
    words = {
        Action.APPROVE: f"approved by {followup.actor} at {when}",
        Action.REJECT: f"rejected by {followup.actor} at {when}",
        Action.EXECUTE: f"executed at {when}",
        Action.REFUSE: f"refused by the agent at {when}",
    }.get(Action(followup.action))
    if words is None and followup.reason == Reason.EXECUTION_FAILED:
        words = f"the execution failed at {when}"
    text = words or f"{followup.action} / {followup.reason} by {followup.actor} at {when}"
    return f"Then decision {followup.id}: {text}" + (f" ({note})." if note else ".")


def followups(expl: Explanation) -> list[str]:
    return [_step(f, expl.customer.timezone) for f in expl.followups]
