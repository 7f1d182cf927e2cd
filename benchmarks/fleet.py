"""Benchmark: a fleet of N generated customers served by real workers on a quota-bound sandbox.

The sandbox enforces the standard tier scaled by K (windows of 60 / K seconds, so K times the rates; job
durations / K); the agent runs as real processes (`agent worker` x W with T threads, `agent beat`) on a
private Redis and a fresh PostgreSQL database, its limiter at the same scaled rates and every wait / K.
Every customer is due at once. It reports wall ÷ the quota minimum, the 429 share, reads per customer by
loop and route, polls per job, jobs abandoned, and the same fleet run by the playbook's loop for the
speed-up (`benchmarks/fleet_report.py`, `benchmarks/playbook.py`).

    eval "$(scripts/services)"
    uv run python -m benchmarks.fleet --customers 100 --speed 10 [--workers 2 --threads 16] [--webhooks on]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

from agent.config import load_settings
from agent.demo_customers import register
from agent.logging import configure_logging
from agent.sandbox import TIERS, Sandbox
from agent.sandbox.fleet import fleet_scenario
from agent.store.db import Database
from agent.worker.app import create_app
from benchmarks import fleet_report as report
from benchmarks.dispatch import drop_database, fresh_database
from benchmarks.fleet_stack import (
    API_KEY,
    Processes,
    free_port,
    private_redis,
    scaled_settings,
    wait_until,
    webhook_secret,
    webhooks_available,
)
from benchmarks.playbook import run_playbook

TIER = "standard"
LOOPS = 2  # publish-to-learn and optimization, for every customer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument(
        "--speed", type=float, default=10.0, help="K: the sandbox and the agent K times faster"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--webhooks", choices=("off", "on"), default="off")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--job-seconds", type=float, default=120.0, help="a job's duration at K = 1")
    parser.add_argument(
        "--playbook-customers", type=int, default=10, help="measured, then scaled to the fleet"
    )
    parser.add_argument(
        "--concurrent-jobs",
        type=int,
        default=None,
        help="the sandbox's cap on jobs running at once (default: the tier's, 10; 0 = no cap)",
    )
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    args = parser.parse_args(argv)
    configure_logging("WARNING", "console")  # the in-process sandboxes log every request at INFO
    if args.webhooks == "on" and not webhooks_available():
        print(
            "webhooks: not available (`agent webhooks` is not a command of this build yet)", file=sys.stderr
        )
        return 2
    measured = run(args)
    print(json.dumps(measured, indent=2, default=str) if args.json else table(measured))
    return 0 if measured["all_ended"] else 1


def run(args: argparse.Namespace) -> dict[str, Any]:
    admin_url = os.environ["TEST_DATABASE_URL"]
    scenario = fleet_scenario(args.customers, seed=args.seed, job_seconds=args.job_seconds)
    url = fresh_database(admin_url)
    db = Database.from_url(url)
    try:
        register(db, scenario, run_at=clock(0, 0))  # every customer due now, wherever it lives
        cap = report.NO_JOB_CAP if args.concurrent_jobs == 0 else args.concurrent_jobs
        sandbox = Sandbox(scenario, rate_limits=TIER, time_scale=args.speed, concurrent_jobs=cap)
        with private_redis() as redis_url, sandbox.serve() as server, tempfile.TemporaryDirectory() as tmp:
            settings = scaled_settings(TIERS[TIER], args.speed)
            env = {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "LAYERS_BASE_URL": server.base_url,
                "LAYERS_API_KEY": API_KEY,
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "json",
                "METRICS_PORT": "0",
                **settings,
            }
            processes = Processes(env, Path(tmp))
            try:
                started, ended = serve_fleet(args, processes, sandbox, db, redis_url, url)
                with db.session() as session:
                    measured = measure(args, sandbox, session, started, ended, settings)
            except TimeoutError as exc:
                raise SystemExit(f"{exc}; processes that stopped: {processes.exited()}") from None
            finally:
                processes.stop_all()
        measured["playbook"] = playbook(args, scenario)
        measured["speedup"] = measured["playbook"]["wall_s_for_fleet"] / measured["wall_s"]
        return measured
    finally:
        db.dispose()
        drop_database(admin_url, url)


def serve_fleet(
    args: argparse.Namespace, processes: Processes, sandbox: Sandbox, db: Database, redis_url: str, url: str
) -> tuple[datetime, datetime]:
    """Start the processes, send the first dispatch, wait until every run and job has ended."""
    if args.webhooks == "on":
        secret, port = webhook_secret(), free_port()
        processes.env["LAYERS_WEBHOOK_SECRETS"] = secret
        processes.start("webhooks", "webhooks", "--port", str(port))
        sandbox.register_webhook(f"http://127.0.0.1:{port}/webhooks/layers", secret)
    processes.workers(args.workers, args.threads)
    app = create_app(load_settings(_env_file=None, redis_url=redis_url, database_url=url))
    try:
        wait_until(
            lambda: len(app.control.ping(timeout=0.5)) >= args.workers,
            timeout=60,
            what="the workers to start",
        )
        processes.beat()
        started = datetime.now(UTC)
        app.send_task("agent.dispatch")

        def done() -> bool:
            if processes.exited():
                raise TimeoutError(f"a process stopped: {processes.exited()}")
            with db.session() as session:
                counts = report.run_counts(session)
                ended = sum(counts.get(status, 0) for status in report.ENDED)
                return ended == LOOPS * args.customers and report.jobs_running(session) == 0

        wait_until(done, timeout=args.timeout, what="every run and job to end", interval=0.25)
    finally:
        app.close()
    with db.session() as session:
        ended_at = report.finished_at(session) or datetime.now(UTC)
    return started, ended_at


def measure(
    args: argparse.Namespace,
    sandbox: Sandbox,
    session: Any,
    started: datetime,
    ended: datetime,
    settings: dict[str, str],
) -> dict[str, Any]:
    wall = (ended - started).total_seconds()
    minimum = report.quota(sandbox)
    counts = report.run_counts(session)
    return {
        "customers": args.customers,
        "speed": args.speed,
        "workers": args.workers,
        "threads": args.threads,
        "webhooks": args.webhooks,
        "wall_s": wall,
        "quota": minimum,
        "wall_over_minimum": wall / minimum["minimum_s"] if minimum["minimum_s"] else None,
        "responses": report.responses(sandbox),
        "calls_per_customer": report.responses(sandbox)["total"] / args.customers,
        "runs": counts,
        "all_ended": sum(counts.get(s, 0) for s in report.ENDED)
        == sum(counts.values())
        == LOOPS * args.customers,
        "reads": report.reads(session, args.customers),
        "jobs": report.jobs(session, sandbox),
        "settings": settings,
    }


def playbook(args: argparse.Namespace, scenario: Any) -> dict[str, Any]:
    """The playbook's loop on a fresh sandbox like the fleet's: measured on the first customers, then scaled
    (it serves one customer after another, so its time grows linearly)."""
    sample = [
        project.id for project in scenario.projects[: max(1, min(args.playbook_customers, args.customers))]
    ]
    sandbox = Sandbox(scenario, rate_limits=TIER, time_scale=args.speed)
    with sandbox.serve() as server:
        measured = run_playbook(server.base_url, API_KEY, sample, k=args.speed)
    return {**asdict(measured), "wall_s_for_fleet": measured.wall_s * args.customers / measured.customers}


def table(m: dict[str, Any]) -> str:
    reads, jobs, quota, responses = m["reads"], m["jobs"], m["quota"], m["responses"]
    by_loop = " / ".join(
        f"{reads['by_loop'].get(loop, 0):.1f}" for loop in ("publish_to_learn", "optimization")
    )
    header = (
        f"{'customers':>9} {'K':>4} {'workers':>8} {'webhooks':>8} {'wall (s)':>9} {'minimum (s)':>11} "
        f"{'wall/min':>8} {'429 share':>9} {'calls/cust':>10} {'reads/cust (ptl/opt)':>21} {'no-job reads':>12} {'polls/job':>9} "
        f"{'abandoned':>9} {'playbook (s)':>12} {'speed-up':>8}"
    )
    ratio = m["wall_over_minimum"]
    row = (
        f"{m['customers']:>9} {m['speed']:>4g} {m['workers']}x{m['threads']:<5} {m['webhooks']:>8} "
        f"{m['wall_s']:>9.1f} {quota['minimum_s']:>11.1f} {ratio if ratio is None else f'{ratio:.2f}':>8} "
        f"{responses['share_429']:>9.2%} {m['calls_per_customer']:>10.1f} {reads['per_customer']:>7.1f} ({by_loop:>11}) "
        f"{reads['without_a_job']['mean']:>12.1f} {jobs['polls_per_job']:>9.1f} {jobs['abandoned']:>9} "
        f"{m['playbook']['wall_s_for_fleet']:>12.1f} {m['speedup']:>7.1f}x"
    )
    routes = "\n".join(
        f"  {loop:<17} {route:<45} {per:>6.2f}"
        for loop, by_route in reads["by_route"].items()
        for route, per in by_route.items()
    )
    runs = ", ".join(f"{status} {n}" for status, n in sorted(m["runs"].items()))
    binding, jobs_cap = quota["binding"], quota["concurrent_jobs"]
    detail = f"longest job {quota['longest_job_s']:.1f}s; minimum by rates alone {quota['minimum_by_rates_s']:.1f}s"
    if binding == "concurrent-jobs":
        detail = (
            f"binding: the concurrent-jobs cap {jobs_cap['cap']}: {jobs_cap['job_s']:.0f} job-seconds / "
            f"{jobs_cap['cap']} = {jobs_cap['minimum_s']:.1f}s; {detail}"
        )
    elif binding:
        bound = quota["classes"][binding]
        detail = (
            f"binding class {binding}: {bound['calls']} calls, burst {bound['burst']}, "
            f"{bound['rate_per_s']:.1f}/s; {detail}"
        )
    return f"{header}\n{row}\n\nruns: {runs}; jobs {jobs['jobs']}, timed out {jobs['timed_out']}; {detail}\nreads per customer by loop and route:\n{routes}"


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"(benchmark took {time.monotonic() - started:.0f}s)", file=sys.stderr)
    raise SystemExit(code)
