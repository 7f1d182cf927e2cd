"""Prometheus metrics of the worker: runs, decisions, clone outcomes, API calls, job polling."""

from __future__ import annotations

import threading

from prometheus_client import Counter, Histogram, start_http_server

RUNS = Counter("agent_runs_total", "Runs that ended, by loop and status", ["loop", "status"])
DECISIONS = Counter(
    "agent_decisions_total", "Decisions recorded, by loop, action and reason", ["loop", "action", "reason"]
)
CLONE_OUTCOMES = Counter(
    "agent_clone_outcomes_total",
    "Clone and commission jobs that ended, by kind and status",
    ["kind", "status"],
)
API_CALLS = Counter(
    "agent_layers_api_calls_total",
    "Layers API responses, by method, route and status",
    ["method", "route", "status"],
)
RATE_LIMITED = Counter("agent_layers_rate_limited_total", "429 answers from Layers, by route", ["route"])
API_LATENCY = Histogram("agent_layers_api_seconds", "Layers API call latency", ["method", "route"])
JOB_POLL_LATENCY = Histogram("agent_job_poll_seconds", "Latency of one job poll (GET /v1/jobs/:id)")
JOB_DURATION = Histogram(
    "agent_job_duration_seconds",
    "From a job's submission to its terminal state",
    buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 3600),
)

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
