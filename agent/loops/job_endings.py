"""How a followed Layers job ends, recorded once for the job and the work it belongs to: the one path the
job poller and webhook deliveries both take."""

from __future__ import annotations

from agent.domain.records import DueJob, JobEnd
from agent.domain.vocabulary import WorkKind
from agent.layers import errors
from agent.logging import get_logger
from agent.loops.ports import Deps
from agent.observability import CLONE_OUTCOMES, JOB_DURATION

log = get_logger(__name__)


def record_end(deps: Deps, due: DueJob, end: JobEnd) -> None:
    """Record the job's end on the job row and on the clone or commission it belongs to, together."""
    with deps.store() as store:
        duration_s = store.finish_job(job_row_id=due.id, end=end)
    CLONE_OUTCOMES.labels(due.kind, end.status).inc()
    JOB_DURATION.observe(duration_s)


def approval_status(deps: Deps, due: DueJob) -> str | None:
    """Clones are held for the customer's approval: read the container's approvalStatus for ops."""
    if due.kind is not WorkKind.CLONE:
        return None
    try:
        return deps.client.get_content(due.container_id).approval_status
    except errors.LayersError as exc:
        log.warning("approval_status_unread", error=type(exc).__name__)
        return None
