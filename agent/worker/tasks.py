"""Thin Celery tasks: take ids, get the process's services, call one use case."""

from __future__ import annotations

from celery import Task, shared_task

from agent.loops import job_poller, scheduling, webhook_events
from agent.worker import delivery, runtime


@shared_task(name="agent.run", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run(self: Task[..., str], run_id: int, outages: int = 0) -> str:
    """Run one loop for one run row; a transient failure or a database outage comes back shortly."""
    return delivery.run(self, run_id, outages, send=send_run)


def send_run(run_id: int) -> None:
    """Send the run's message, its marker first (`agent.worker.messages`)."""
    messages = runtime.messages()
    if messages is not None:
        messages.queued(run_id)
    run.delay(run_id)


@shared_task(name="agent.dispatch", acks_late=True)
def dispatch() -> int:
    """Create today's due runs for every customer and loop, then send them (beat, every few minutes)."""
    return scheduling.dispatch(runtime.services(), send=send_run, lost=runtime.lost_messages())


@shared_task(name="agent.sweep", acks_late=True)
def sweep() -> int:
    """Resend what a crashed dispatcher left unsent and hand on runs whose worker died, then finish approved
    actions whose execution was cut short (each on its own, so one bad row cannot stop the resends)."""
    return scheduling.sweep_tick(runtime.services(), send=send_run, lost=runtime.lost_messages())


@shared_task(name="agent.poll_jobs", acks_late=True)
def poll_jobs() -> int:
    """Poll the Layers jobs that are due (the durable job poller)."""
    return job_poller.poll_due(runtime.services())


@shared_task(name="agent.process_webhooks", acks_late=True)
def process_webhooks(row_id: int | None = None) -> int:
    """Handle the webhook event just received (`row_id`), or every unprocessed one (beat's sweep)."""
    return webhook_events.process(runtime.services(), row_id=row_id)
