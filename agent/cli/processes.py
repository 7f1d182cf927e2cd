"""`agent worker`, `agent beat`, `agent sandbox`: thin wrappers that start the long-running processes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from agent.cli import context
from agent.sandbox.cli import sandbox_command

BEAT_SCHEDULE_FILE = Path(tempfile.gettempdir()) / "agent-beat-schedule"
PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def worker(
    ctx: typer.Context,
    pool: Annotated[str, typer.Option(help="threads suits the I/O-bound tasks (see README)")] = "threads",
    concurrency: Annotated[int, typer.Option(min=1)] = 8,
    queues: Annotated[str, typer.Option("-Q", "--queues")] = "celery",
    metrics: Annotated[bool, typer.Option(help="Serve Prometheus metrics on METRICS_PORT")] = True,
) -> None:
    """Start a Celery worker with the agent's app and settings (extra arguments go to Celery)."""
    settings = context.settings()
    from agent.worker.app import create_app

    app = create_app(settings)
    if metrics and settings.metrics_port:
        from agent import gauges
        from agent.capacity import serve_figures
        from agent.observability import serve_metrics
        from agent.services import utc_now
        from agent.store.db import Database

        serve_metrics(settings.metrics_port)
        db = Database.from_url(settings.database_url)
        gauges.register(db, utc_now)  # read at each scrape
        serve_figures(db, settings)  # the capacity gauges (`agent capacity`)
    argv = [
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--queues={queues}",
        f"--loglevel={settings.log_level}",
        *ctx.args,
    ]
    app.worker_main(argv)


def beat(
    ctx: typer.Context,
    schedule: Annotated[Path, typer.Option(help="Beat's schedule state file")] = BEAT_SCHEDULE_FILE,
) -> None:
    """Start Celery beat: the dispatcher, the job poller and the sweeper on their intervals.

    Running two beats is safe: every tick's work is made exact by PostgreSQL, not by beat.
    """
    settings = context.settings()
    from agent.worker.app import create_app

    create_app(settings).start(
        ["beat", f"--schedule={schedule}", f"--loglevel={settings.log_level}", *ctx.args]
    )


def flower(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Flower's web port")] = 5555,
) -> None:
    """Start Celery Flower (the task dashboard) on the agent's broker (extra arguments go to Flower)."""
    from agent.worker.app import create_app

    create_app(context.settings()).start(["flower", f"--port={port}", *ctx.args])


sandbox = sandbox_command
