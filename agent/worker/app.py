"""The Celery app, built by `create_app` when a process starts (never at import): Redis broker,
at-least-once delivery, no result backend, JSON only.

Every setting here assumes tasks can run twice: correctness lives in PostgreSQL (unique keys, leases,
SKIP LOCKED), never in "this message is delivered once".
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import beat_init, celeryd_after_setup, task_postrun, task_prerun, worker_process_init
from kombu import Queue
from structlog.contextvars import bind_contextvars, clear_contextvars

from agent.config import Settings

EMBEDDED_BROKER_FILE = "agent-broker.sqlite"
# Periodic ticks that usually find nothing to do: Celery's "received" and "succeeded … : 0" lines for them
# are logged at DEBUG, or an idle worker would log two lines every POLLER_TICK_S.
QUIET_WHEN_IDLE = frozenset({"agent.poll_jobs", "agent.sweep", "agent.dispatch"})
CELERY_TASK_LOGGERS = ("celery.app.trace", "celery.worker.strategy")
# Beat's ticks have a queue of their own, which every worker reads alongside the runs' queue: a backlog of
# thousands of runs never holds up the sweeper, the job poller or the dispatcher (issues 11, 12).
RUNS_QUEUE = "celery"
TICKS_QUEUE = "agent.ticks"


class _IdleTicksAtDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        data = getattr(record, "data", None)
        if (
            record.levelno != logging.INFO
            or not isinstance(data, dict)
            or data.get("name") not in QUIET_WHEN_IDLE
        ):
            return True
        if data.get("return_value", "0") not in ("0", 0):
            return True  # it did something: worth its INFO line
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


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
        "webhooks": {"task": "agent.process_webhooks", "schedule": settings.webhook_sweep_interval_s},
        # notifications (issue 14): the outbox sender and the health watch
        "notify": {"task": "agent.notify", "schedule": settings.notify_interval_s},
        "watch-health": {"task": "agent.watch_health", "schedule": settings.health_watch_interval_s},
        # publish and learn (issue 15): approved clones go live, clones get their verdicts
        "publish": {"task": "agent.publish", "schedule": settings.publish_tick_s},
        "judge-clones": {"task": "agent.judge_clones", "schedule": settings.verdict_tick_s},
    }


def create_app(settings: Settings) -> Celery:
    """The app for this process, set as the default so the shared tasks bind to it."""
    app = Celery(
        "agent",
        broker=broker_url(settings),
        include=["agent.worker.tasks", "agent.notify.tasks", "agent.worker.learn_tasks"],
        set_as_current=True,
    )
    app.conf.update(
        task_queues=(Queue(TICKS_QUEUE), Queue(RUNS_QUEUE)),
        task_default_queue=RUNS_QUEUE,
        task_routes={entry["task"]: {"queue": TICKS_QUEUE} for entry in beat_schedule(settings).values()},
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
    beat_init.connect(_dispatch_at_start, weak=False, dispatch_uid="agent-dispatch-at-start")
    celeryd_after_setup.connect(_consume_ticks, weak=False, dispatch_uid="agent-consume-ticks")
    for name in CELERY_TASK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _IdleTicksAtDebug) for f in logger.filters):
            logger.addFilter(_IdleTicksAtDebug())
    return app


def _dispatch_at_start(sender: Any = None, **_: Any) -> None:
    """Beat's first dispatch would otherwise wait a whole DISPATCH_INTERVAL_S after a (re)start."""
    sender.app.send_task("agent.dispatch")


def _consume_ticks(sender: Any = None, instance: Any = None, **_: Any) -> None:
    """Every worker reads the ticks' queue too, whatever queues it was started with (`-Q`)."""
    instance.app.amqp.queues.select_add(TICKS_QUEUE)


def _fresh_services_per_process(**_: Any) -> None:
    """Forked children must not share the parent's connections."""
    from agent.worker import runtime

    runtime.reset()


def _bind_task_context(task_id: str | None = None, task: object | None = None, **_: Any) -> None:
    clear_contextvars()
    bind_contextvars(task_id=task_id, task=getattr(task, "name", None))


def _clear_task_context(**_: Any) -> None:
    clear_contextvars()
