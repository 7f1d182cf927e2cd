"""The call meter files every answer under the run (or followed job) the log context names, and hands a
context only its own calls."""

from __future__ import annotations

import threading

from structlog.contextvars import bound_contextvars

from agent.call_meter import CallMeter, Owner

TOP = "/v1/projects/{projectId}/top-performers"
CLONE = "/v1/content/{containerId}/clone-from-post"
JOB = "/v1/jobs/{jobId}"


def test_a_runs_calls_are_counted_by_route_and_class_with_its_429s():
    meter = CallMeter()
    with bound_contextvars(run_id=7, customer_id=1, loop="publish_to_learn"):
        for status in (200, 429, 200, 0):  # a retry after a 429, and a call that got no answer
            meter.observe("GET", TOP, status, 0.01)
        meter.observe("POST", CLONE, 202, 0.02)
        assert meter.take() == (
            Owner(run_id=7),
            {("GET", TOP, "read-light"): (4, 1), ("POST", CLONE, "long-running"): (1, 0)},
        )
        assert meter.take() is None  # taken once


def test_a_job_poll_is_counted_under_its_job_and_calls_outside_any_are_not():
    meter = CallMeter()
    meter.observe("GET", "/v1/projects", 200, 0.01)  # `agent customers sync`: no run, no job
    assert meter.take() is None
    with bound_contextvars(job_id="job_1", customer_id=1):
        meter.observe("GET", JOB, 200, 0.01)
        assert meter.take() == (Owner(job_id="job_1"), {("GET", JOB, "read-light"): (1, 0)})


def test_each_thread_takes_only_its_own_runs_calls():
    meter = CallMeter()
    taken: dict[int, object] = {}

    def run(run_id: int, calls: int) -> None:
        with bound_contextvars(run_id=run_id):
            for _ in range(calls):
                meter.observe("GET", TOP, 200, 0.0)
            barrier.wait()
            taken[run_id] = meter.take()

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=run, args=(run_id, calls)) for run_id, calls in ((1, 3), (2, 5))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken == {
        1: (Owner(run_id=1), {("GET", TOP, "read-light"): (3, 0)}),
        2: (Owner(run_id=2), {("GET", TOP, "read-light"): (5, 0)}),
    }
