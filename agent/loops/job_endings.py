"""How a followed Layers job ends, recorded once for the job and the work it belongs to: the one path the
job poller and webhook deliveries both take.

A timeout and a reconciliation are decisions too: a poll after the deadline that still saw the job running
records `job_timed_out` under the decision that asked for the work; when Layers later tells how a
timed-out job really ended, `job_reconciled` follows the timeout's decision, and the work takes that end
(a completed clone keeps its slot, a failed one gives it back).
"""

from __future__ import annotations

from dataclasses import replace

from agent.domain.decisions import NewDecision, Subject
from agent.domain.evidence import JobOutcome
from agent.domain.records import DueJob, JobEnd
from agent.domain.vocabulary import Action, JobStatus, Reason, SubjectType, WorkKind
from agent.layers import errors, quota
from agent.logging import get_logger
from agent.loops.ports import Deps
from agent.observability import JOB_DURATION, JOB_OUTCOMES

log = get_logger(__name__)


def record_end(deps: Deps, due: DueJob, end: JobEnd) -> None:
    """Record the job's end on the job row and on the clone or commission it belongs to, together."""
    if end.decision is None:
        end = replace(end, decision=_decision(due, end))
    with deps.store() as store:
        duration_s = store.finish_job(job_row_id=due.id, end=end)
    if duration_s is None:
        return  # it had ended already (a webhook and a poll both saw it)
    JOB_OUTCOMES.labels(due.kind, end.status).inc()
    if end.status is not JobStatus.TIMED_OUT:
        JOB_DURATION.observe(duration_s)
    if due.status is JobStatus.TIMED_OUT:
        log.info("job_reconciled", status=end.status)


def _decision(due: DueJob, end: JobEnd) -> NewDecision | None:
    """The decision a timeout or a reconciliation records; an ordinary end records none."""
    if end.status is JobStatus.TIMED_OUT:
        reason, action, parent, previous = Reason.JOB_TIMED_OUT, Action.ERROR, due.decision_id, None
    elif due.status is JobStatus.TIMED_OUT:
        reason, action = Reason.JOB_RECONCILED, Action.NONE
        parent, previous = due.timeout_decision_id or due.decision_id, JobStatus.TIMED_OUT.value
    else:
        return None
    return NewDecision(
        customer_id=due.customer_id,
        loop=due.loop,
        action=action,
        reason=reason,
        subject=Subject(SubjectType.JOB, due.job_id),
        evidence=JobOutcome(
            job_id=due.job_id,
            kind=due.kind.value,
            status=end.status.value,
            deadline_at=due.deadline_at.isoformat(),
            polled_at=end.now.isoformat(),
            previous_status=previous,
            duration_s=end.duration_s,
            error_code=end.error_code,
            error_message=end.error_message,
        ),
        parent_id=parent,
        dedupe_key=f"job:{due.job_id}:{reason.value}",
    )


def approval_status(deps: Deps, due: DueJob) -> str | None:
    """Clones are held for the customer's approval: read the container's approvalStatus for ops (on the job
    polls' share of the quota: it is part of following the job)."""
    if due.kind is not WorkKind.CLONE:
        return None
    try:
        with quota.job_polls():
            return deps.client.get_content(due.container_id).approval_status
    except errors.LayersError as exc:
        log.warning("approval_status_unread", error=type(exc).__name__)
        return None
