"""The Celery app, built by `create_app` when a process starts (never at import): Redis broker,
at-least-once delivery, no result backend, JSON only.

Every setting here assumes tasks can run twice: correctness lives in PostgreSQL (unique keys, leases,
SKIP LOCKED), never in "this message is delivered once".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init
from structlog.contextvars import bind_contextvars, clear_contextvars

from agent.config import Settings

EMBEDDED_BROKER_FILE = "agent-broker.sqlite"


def broker_url(settings: Settings) -> str:
    """Redis when configured; otherwise an embedded SQLite broker that needs no server."""
    if settings.redis_url:
        return settings.redis_url
    return f"sqla+sqlite:///{Path(EMBEDDED_BROKER_FILE).resolve()}"


def beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    return {
        "dispatch": {"task": "agent.dispatch", "schedule": float(settings.dispatch_interval_s)},
        "poll-jobs": {"task": "agent.poll_jobs", "schedule": float(settings.poller_tick_s)},
        "sweep": {"task": "agent.sweep", "schedule": float(settings.sweep_interval_s)},
    }


def create_app(settings: Settings) -> Celery:
    """The app for this process, set as the default so the shared tasks bind to it."""
    app = Celery("agent", broker=broker_url(settings), include=["agent.worker.tasks"], set_as_current=True)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # capped by runs.attempts in PostgreSQL, not by the broker
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=max(1, settings.task_time_limit_s - 30),
        # Only Redis has a visibility timeout; the embedded SQLite broker rejects the option.
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_s}
        if settings.redis_url
        else {},
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=beat_schedule(settings),
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    app.set_default()
    worker_process_init.connect(_fresh_services_per_process, weak=False, dispatch_uid="agent-fresh-services")
    task_prerun.connect(_bind_task_context, weak=False, dispatch_uid="agent-bind-task-context")
    task_postrun.connect(_clear_task_context, weak=False, dispatch_uid="agent-clear-task-context")
    return app


def _fresh_services_per_process(**_: Any) -> None:
    """Forked children must not share the parent's connections."""
    from agent.worker import runtime

    runtime.reset()


def _bind_task_context(task_id: str | None = None, task: object | None = None, **_: Any) -> None:
    clear_contextvars()
    bind_contextvars(task_id=task_id, task=getattr(task, "name", None))


def _clear_task_context(**_: Any) -> None:
    clear_contextvars()
