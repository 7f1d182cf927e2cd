"""`agent worker`, `agent beat`, `agent sandbox`: thin wrappers that start the long-running processes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from agent.cli import context

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
    from agent.worker.app import app

    if metrics and settings.metrics_port:
        from agent.observability import serve_metrics

        serve_metrics(settings.metrics_port)
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
    from agent.worker.app import app

    app.start(["beat", f"--schedule={schedule}", f"--loglevel={settings.log_level}", *ctx.args])


def sandbox(
    scenario: Annotated[Path | None, typer.Option(help="Scenario YAML (default: the demo scenario)")] = None,
    port: Annotated[int, typer.Option()] = 8080,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    tier: Annotated[str, typer.Option(help="Rate-limit tier: standard, pilot, partner or none")] = "standard",
    fault_429: Annotated[float, typer.Option("--fault-429", help="Share of requests answered 429")] = 0.0,
    fault_5xx: Annotated[float, typer.Option("--fault-5xx", help="Share of requests answered 5xx")] = 0.0,
    fault_reset: Annotated[float, typer.Option("--fault-reset", help="Share of connections reset")] = 0.0,
    latency_ms: Annotated[int, typer.Option("--latency-ms")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the fault sequence")] = 0,
) -> None:
    """Serve the local Layers sandbox (the demo, the compose stack and the tests run on it)."""
    from agent.sandbox import FaultConfig, run_sandbox

    faults = FaultConfig(
        rate_429=fault_429, rate_5xx=fault_5xx, rate_reset=fault_reset, latency_ms=latency_ms, seed=seed
    )
    run_sandbox(str(scenario) if scenario else None, port=port, host=host, faults=faults, tier=tier)
