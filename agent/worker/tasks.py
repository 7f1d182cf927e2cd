"""Thin Celery tasks: take ids, get the process's services, call one use case."""

from __future__ import annotations

from celery import Task, shared_task

from agent.loops import catalog, job_poller, scheduling
from agent.loops.runner import RunOutcome
from agent.worker import runtime

MAX_COUNTDOWN_S = 300  # far below the broker's visibility timeout (celery#2599)


@shared_task(name="agent.run", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run(self: Task[[int], str], run_id: int) -> str:
    """Run one loop for one run row; a transient failure comes back later, capped in PostgreSQL."""
    outcome: RunOutcome = catalog.run(runtime.services(), run_id)
    if outcome.retry_after_s is not None:
        raise self.retry(countdown=min(outcome.retry_after_s, MAX_COUNTDOWN_S))
    return outcome.status


def send_run(run_id: int) -> None:
    run.delay(run_id)


@shared_task(name="agent.dispatch", acks_late=True)
def dispatch() -> int:
    """Create today's due runs for every customer and loop, then send them (beat, every few minutes)."""
    return scheduling.dispatch(runtime.services(), send=send_run)


@shared_task(name="agent.sweep", acks_late=True)
def sweep() -> int:
    """Resend what a crashed dispatcher left unsent and hand on runs whose worker died, then finish approved
    actions whose execution was cut short (each on its own, so one bad row cannot stop the resends)."""
    return scheduling.sweep_tick(runtime.services(), send=send_run)


@shared_task(name="agent.poll_jobs", acks_late=True)
def poll_jobs() -> int:
    """Poll the Layers jobs that are due (the durable job poller)."""
    return job_poller.poll_due(runtime.services())
