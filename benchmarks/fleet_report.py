"""What the fleet benchmark measures, from the sandbox's own counters and the agent's database.

- wall: from the first dispatch to the last run's or job's end, against the quota minimum: max over classes
  of (calls - burst) / rate, with the sandbox's burst (a window's whole allowance, all a fixed window lets
  through at once) and its accepted calls, or the longest job, or, under the sandbox's concurrent-jobs
  cap (contract §4.3), the jobs' total duration / the cap, whichever is longest;
- the 429 share of every answer; polls per job (the sandbox's `GET /v1/jobs/{jobId}` answers per job);
- reads per customer by loop and route (the calls recorded with the runs, job polls with the run that
  started the job), and per customer-day for the customers that started no job;
- jobs abandoned: recorded `timed_out` by the agent though Layers finished them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import mean
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.sandbox import Sandbox
from agent.store.models import Job, Run, RunCall

JOB_ROUTE = "/v1/jobs/{jobId}"
READ = "read-light"
ENDED = ("succeeded", "failed")


def run_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Run.status, func.count()).group_by(Run.status))
    return {status: n for status, n in rows}


def jobs_running(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(Job.status == "running")) or 0)


def finished_at(session: Session) -> datetime | None:
    ends = [
        session.scalar(select(func.max(Run.finished_at))),
        session.scalar(select(func.max(Job.finished_at))),
    ]
    found = [end for end in ends if end is not None]
    return max(found) if found else None


NO_JOB_CAP = 1_000_000  # `--concurrent-jobs 0`: as many jobs at once as the agent starts


def quota(sandbox: Sandbox) -> dict[str, Any]:
    """Accepted calls per class, and the least time the scaled tier needs to serve them."""
    tier, answered = sandbox.tier, sandbox.pipeline.counters.snapshot()
    accepted: dict[str, int] = defaultdict(int)
    for key, n in answered.items():
        if key.status != 429:
            accepted[key.endpoint_class] += n
    classes = {}
    for endpoint_class, calls in sorted(accepted.items()):
        allowance = tier.per_minute(endpoint_class)
        if allowance is None:
            continue
        rate = allowance / tier.window_s
        classes[endpoint_class] = {
            "calls": calls,
            "burst": allowance,
            "rate_per_s": rate,
            "minimum_s": max(0, calls - allowance) / rate,
        }
    with sandbox.state.lock:
        durations = [(job.end - job.start).total_seconds() for job in sandbox.state.jobs.values()]
    longest = max(durations, default=0.0)
    binding = max(classes, key=lambda c: classes[c]["minimum_s"], default=None)
    by_rates = max([longest, *(c["minimum_s"] for c in classes.values())])
    cap = sandbox.concurrent_jobs if (sandbox.concurrent_jobs or NO_JOB_CAP) < NO_JOB_CAP else None
    # The concurrent-jobs cap (contract §4.3) is part of the quota: N jobs of D seconds need N x D / cap.
    by_jobs = sum(durations) / cap if cap else 0.0
    return {
        "classes": classes,
        "longest_job_s": longest,
        "binding": "concurrent-jobs" if by_jobs > by_rates else binding,
        "concurrent_jobs": {"cap": cap, "job_s": sum(durations), "minimum_s": by_jobs},
        "minimum_by_rates_s": by_rates,
        "minimum_s": max(by_rates, by_jobs),
    }


def responses(sandbox: Sandbox) -> dict[str, Any]:
    answered = sandbox.pipeline.counters.snapshot()
    total = sum(answered.values())
    limited = sum(n for key, n in answered.items() if key.status == 429)
    by_class: dict[str, int] = defaultdict(int)
    for key, n in answered.items():
        by_class[key.endpoint_class] += n
    return {
        "total": total,
        "rate_limited": limited,
        "share_429": limited / total if total else 0.0,
        "by_class": dict(by_class),
    }


def jobs(session: Session, sandbox: Sandbox) -> dict[str, Any]:
    """Polls per job, and the jobs the agent recorded timed out although Layers finished them."""
    at_layers = {job["jobId"]: job["status"] for job in sandbox.snapshot()["jobs"]}
    polls = sandbox.pipeline.counters.total(route=JOB_ROUTE, method="GET")
    timed_out = list(session.scalars(select(Job.job_id).where(Job.status == "timed_out")))
    abandoned = [job_id for job_id in timed_out if at_layers.get(job_id, "running") != "running"]
    return {
        "jobs": len(at_layers),
        "polls": polls,
        "polls_per_job": polls / len(at_layers) if at_layers else 0.0,
        "timed_out": len(timed_out),
        "abandoned": len(abandoned),
    }


def reads(session: Session, customers: int) -> dict[str, Any]:
    """Reads per customer by loop and route (recorded with the runs), and per customer-day without a job."""
    rows = session.execute(
        select(Run.loop, RunCall.route, func.sum(RunCall.calls))
        .join(RunCall, RunCall.run_id == Run.id)
        .where(RunCall.endpoint_class == READ)
        .group_by(Run.loop, RunCall.route)
    )
    by_route: dict[str, dict[str, float]] = defaultdict(dict)
    for loop, route, calls in rows:
        by_route[loop][route] = int(calls) / customers
    per_customer = {
        customer: calls
        for customer, calls in session.execute(
            select(Run.customer_id, func.sum(RunCall.calls))
            .join(RunCall, RunCall.run_id == Run.id)
            .where(RunCall.endpoint_class == READ)
            .group_by(Run.customer_id)
        )
    }
    with_jobs = set(session.scalars(select(Job.customer_id).distinct()))
    quiet = [int(n) for customer, n in per_customer.items() if customer not in with_jobs]
    return {
        "per_customer": sum(sum(routes.values()) for routes in by_route.values()),
        "by_loop": {loop: sum(routes.values()) for loop, routes in sorted(by_route.items())},
        "by_route": {loop: dict(sorted(routes.items())) for loop, routes in sorted(by_route.items())},
        "without_a_job": {
            "customers": len(quiet),
            "mean": mean(quiet) if quiet else 0.0,
            "max": max(quiet, default=0),
        },
    }
