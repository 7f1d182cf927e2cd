"""Prometheus metrics of the worker: runs, decisions, job outcomes, API calls, job polling."""

from __future__ import annotations

import threading
from collections.abc import Callable

import prometheus_client
from prometheus_client import Counter, Histogram, start_http_server

from agent.domain.vocabulary import JOB_TERMINAL, RUN_ENDED, JobStatus, LoopName, WorkKind

# A `*_created` series per counter doubles what is scraped and says nothing ops use (issue 13).
_disable_created: Callable[[], None] = prometheus_client.disable_created_metrics  # untyped upstream
_disable_created()

RUNS = Counter("agent_runs_total", "Runs that ended, by loop and status", ["loop", "status"])
DECISIONS = Counter(
    "agent_decisions_total", "Decisions recorded, by loop, action and reason", ["loop", "action", "reason"]
)
JOB_OUTCOMES = Counter(
    "agent_job_outcomes_total",
    "Clone and commission jobs that ended, by kind and status",
    ["kind", "status"],
)
API_CALLS = Counter(
    "agent_layers_api_calls_total",
    "Layers API responses, by method, route and status",
    ["method", "route", "status"],
)
RATE_LIMITED = Counter("agent_layers_rate_limited_total", "429 answers from Layers, by route", ["route"])
API_LATENCY = Histogram(
    "agent_layers_request_duration_seconds", "Layers API request duration", ["method", "route"]
)
JOB_POLL_LATENCY = Histogram("agent_job_poll_seconds", "Latency of one job poll (GET /v1/jobs/:id)")
JOB_DURATION = Histogram(
    "agent_job_duration_seconds",
    "From a job's submission to its terminal state",
    buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 3600),
)

# Every series a dashboard or an alert reads exists from the start, at zero (issue 13).
for _loop in LoopName:
    for _status in RUN_ENDED:
        RUNS.labels(_loop, _status)
for _kind in WorkKind:
    for _end in (*JOB_TERMINAL, JobStatus.TIMED_OUT):
        JOB_OUTCOMES.labels(_kind, _end)

_started: set[int] = set()
_lock = threading.Lock()


def serve_metrics(port: int, addr: str = "0.0.0.0") -> None:  # noqa: S104 - scraped from outside the container
    """Start the /metrics HTTP endpoint once per process."""
    with _lock:
        if port in _started:
            return
        start_http_server(port, addr=addr)
        _started.add(port)


def record_api_call(method: str, route: str, status: int, elapsed_s: float) -> None:
    """The Layers client's `on_response` hook."""
    API_CALLS.labels(method, route, str(status)).inc()
    API_LATENCY.labels(method, route).observe(elapsed_s)
    if status == 429:
        RATE_LIMITED.labels(route).inc()
