"""The hand-off between loops with real workers and beats on Redis: a customer's optimization run is
created in the transaction that ends its publish-to-learn run and sent right after; two beats dispatching
every second and a worker killed between that commit and the send still give exactly one optimization run
per customer-day, each run once."""

from __future__ import annotations

import time

from agent.crashpoints import CrashPoint
from tests.integration.e2e.conftest import wait_until
from tests.integration.e2e.fleet import (
    all_due_now,
    all_ended,
    dispatch_now,
    elsewhere_weekday,
    nothing_twice,
    runs,
)

# Leases longer than any run here and a quota the sandbox (limits off) can take: this is about the hand-off.
ENV = {
    "RUN_STALE_AFTER_S": "6",
    "RATE_READ_PER_MIN": "6000",
    "RATE_LONG_RUNNING_PER_MIN": "600",
    "WEEKLY_REVIEW_WEEKDAY": elsewhere_weekday(),
}


def test_two_beats_and_a_crash_after_the_hand_off_commit_give_one_optimization_run_per_customer_day(stack):
    all_due_now(stack)
    doomed = stack.worker(CRASH_AT=CrashPoint.AFTER_HAND_OFF_COMMIT, **ENV)
    for _ in range(2):
        stack.beat(**ENV)
    wait_until(
        lambda: doomed.poll() is not None, timeout=90, what=f"the crash at the hand-off\n{stack.logs()}"
    )
    assert doomed.returncode == -9
    handed = [r for r in runs(stack) if r.loop == "optimization"]
    assert handed, "the crashed worker committed an optimization run with the run it finished"
    stack.worker(**ENV)
    wait_until(lambda: all_ended(stack), timeout=180, interval=0.5, what=f"every daily run\n{stack.logs()}")
    time.sleep(3)  # more ticks of both beats: nothing more may be created
    assert all_ended(stack)
    found = runs(stack)
    assert all(r.status == "succeeded" for r in found), [(r.id, r.loop, r.status, r.error) for r in found]
    nothing_twice(stack)
    assert {r.id for r in found if r.loop == "optimization"} >= {r.id for r in handed}


def test_the_optimization_run_starts_the_moment_publish_to_learn_ends_without_the_dispatcher(stack):
    """The dispatcher runs once (from the test) and then not for an hour: every optimization run comes from
    the hand-off, created with the publish run's end and sent right after its commit."""
    all_due_now(stack)
    env = {**ENV, "DISPATCH_INTERVAL_S": "3600"}
    assert dispatch_now(stack) > 0
    stack.worker(**env)
    stack.beat(**env)
    wait_until(lambda: all_ended(stack), timeout=180, interval=0.5, what=f"every daily run\n{stack.logs()}")
    found = runs(stack)
    publish = {r.customer_id: r for r in found if r.loop == "publish_to_learn"}
    optimization = {r.customer_id: r for r in found if r.loop == "optimization"}
    assert set(optimization) == set(publish)
    assert all(r.status == "succeeded" for r in found), [(r.id, r.loop, r.status, r.error) for r in found]
    after_end = {
        name: [(getattr(optimization[c], name) - p.finished_at).total_seconds() for c, p in publish.items()]
        for name in ("created_at", "enqueued_at", "started_at")
    }
    print(
        "\nhand-off, seconds after the publish run's end (max / median): "
        + ", ".join(f"{n} {max(v):+.3f} / {sorted(v)[len(v) // 2]:+.3f}" for n, v in after_end.items())
        + "; the dispatcher alone would take up to DISPATCH_INTERVAL_S"
    )
    assert all(abs(s) < 1.0 for s in after_end["created_at"]), after_end  # by the finishing transaction
    assert max(after_end["enqueued_at"]) < 2.0, after_end  # sent right after its commit
    nothing_twice(stack)
