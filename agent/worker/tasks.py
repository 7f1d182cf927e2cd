"""Thin Celery tasks: take ids, get the process's services, call one loop function."""

from __future__ import annotations

from celery import Task

from agent.loops import catalog, consent, follow, scheduling
from agent.worker import runtime
from agent.worker.app import app

MAX_COUNTDOWN_S = 300  # far below the broker's visibility timeout (celery#2599)


@app.task(name="agent.run", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run(self: Task, run_id: int) -> str:
    """Run one loop for one run row; a transient failure comes back later, capped in PostgreSQL."""
    outcome = catalog.execute(runtime.services(), run_id)
    if outcome.retry_in_s is not None:
        raise self.retry(countdown=min(outcome.retry_in_s, MAX_COUNTDOWN_S))
    return outcome.status


@app.task(name="agent.dispatch", acks_late=True)
def dispatch() -> int:
    """Create today's due runs for every customer and loop, then send them (beat, every few minutes)."""
    return scheduling.dispatch(runtime.services(), send=lambda run_id: run.delay(run_id))


@app.task(name="agent.sweep", acks_late=True)
def sweep() -> int:
    """Send what a crashed dispatcher left unsent, hand on runs whose worker died, and finish approved
    actions whose execution was cut short."""
    services = runtime.services()
    consent.execute_approved(services)
    return scheduling.sweep(services, send=lambda run_id: run.delay(run_id))


@app.task(name="agent.poll_jobs", acks_late=True)
def poll_jobs() -> int:
    """Poll the Layers jobs that are due (the durable poller)."""
    return follow.poll_due(runtime.services())
