"""What the `agent.run` task does around the use case, so that no run's message is lost for long.

- Before the run: its marker says it must be claimed within one lease (`messages`), and while it runs its
  lease is renewed (`leases`). A worker killed either before or after the claim is noticed within a lease.
- A transient failure puts the run back to the queue with a countdown (at most MAX_COUNTDOWN_S, far below
  the broker's visibility timeout), its marker moved to when the retried message falls due.
- A task that cannot reach PostgreSQL is retried the same way (OUTAGE_RETRY_S, at most OUTAGE_RETRIES
  times) instead of failing: `acks_late` acknowledges a task that raised, and its message would be gone.
- A run that handed off to the next loop sends that run right after the commit that created it.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Task

from agent.logging import get_logger
from agent.loops import catalog, scheduling
from agent.store.availability import database_unavailable
from agent.worker import runtime

log = get_logger(__name__)

MAX_COUNTDOWN_S = 300  # far below the broker's visibility timeout (celery#2599)
OUTAGE_RETRY_S = 5.0
OUTAGE_RETRIES = 60  # about five minutes of a database outage; then the sweeper resends the run


def run(task: Task[..., str], run_id: int, outages: int, *, send: scheduling.Send) -> str:
    services = runtime.services()
    lease = timedelta(seconds=services.settings.run_stale_after_s)
    messages = runtime.messages()
    if messages is not None:
        messages.expect_by(run_id, services.now() + lease)
    try:
        with runtime.held_runs().holding(run_id):
            outcome = catalog.run(services, run_id)
    except Exception as exc:
        if not database_unavailable(exc) or outages >= OUTAGE_RETRIES:
            raise
        log.warning("database_unavailable", run_id=run_id, retry_in_s=OUTAGE_RETRY_S, outages=outages + 1)
        raise _retry(task, run_id, OUTAGE_RETRY_S, outages + 1) from None
    if outcome.handed_off is not None:
        _send_hand_off(outcome.handed_off, send)
    if outcome.retry_after_s is not None:
        raise _retry(task, run_id, min(outcome.retry_after_s, MAX_COUNTDOWN_S), 0)
    if messages is not None:
        messages.forget(run_id)
    return outcome.status


def _retry(task: Task[..., str], run_id: int, countdown: float, outages: int) -> Exception:
    services = runtime.services()
    messages = runtime.messages()
    if messages is not None:
        due = timedelta(seconds=countdown + services.settings.run_stale_after_s)
        messages.expect_by(run_id, services.now() + due)
    return task.retry(args=(run_id,), kwargs={"outages": outages}, countdown=countdown)


def _send_hand_off(run_id: int, send: scheduling.Send) -> None:
    """Sent right after its commit; if this fails the run stays unsent, and the sweeper sends it."""
    try:
        scheduling.send_now(runtime.services(), run_ids=[run_id], send=send)
    except Exception as exc:
        log.warning("hand_off_not_sent", next_run_id=run_id, error=type(exc).__name__)
