"""An approved clone is scheduled exactly once, with real worker and beat processes (issue 15): a worker killed
right after the schedule's key, slot and targets were committed, or right after Layers answered, is replaced,
and the sandbox's witness log still holds one applied schedule per container."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from agent.crashpoints import CrashPoint
from agent.store.models import Publication
from tests.integration.e2e.conftest import API_KEY, wait_until
from tests.integration.e2e.test_worker_runs import agent_clones, create_run, run_status

MAPLE = (
    "Maple Street Bikes"  # auto-schedule on, a connected TikTok account (agent/sandbox/scenarios/demo.yaml)
)
FAST_TICKS = {"PUBLISH_TICK_S": "1", "APPROVAL_CHECK_INTERVAL_S": "1", "PUBLISH_LEASE_S": "3"}


def publications(stack):
    with stack.db.session() as session:
        return list(session.scalars(select(Publication).order_by(Publication.id)))


def approve_at_layers(stack, container_id: str) -> None:
    """The customer approves the container at Layers (the agent never does)."""
    with httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        assert client.post(f"/v1/content/{container_id}/approve", json={}).status_code == 200


@pytest.mark.parametrize("crash_at", [CrashPoint.AFTER_SCHEDULE_COMMIT, CrashPoint.AFTER_SCHEDULE_RESPONSE])
def test_a_worker_killed_while_scheduling_schedules_each_container_exactly_once(stack, crash_at):
    stack.env.update(FAST_TICKS)
    first = stack.worker()
    stack.beat()
    run_id = create_run(stack, MAPLE)
    stack.send_run(run_id)
    wait_until(lambda: run_status(stack, run_id) == "succeeded", what=f"the run\n{stack.logs()}")
    (clone,) = wait_until(
        lambda: [c for c in agent_clones(stack) if c.status == "completed"], what=f"the clone\n{stack.logs()}"
    )
    wait_until(lambda: len(publications(stack)) == 2, what=f"its two containers tracked\n{stack.logs()}")
    stack.stop(first)  # the containers wait for the customer's review; the next worker will crash
    doomed = stack.worker(CRASH_AT=crash_at)
    for publication in publications(stack):
        approve_at_layers(stack, publication.container_id)
    wait_until(
        lambda: doomed.poll() is not None, timeout=60, what=f"the worker to die at {crash_at}\n{stack.logs()}"
    )
    assert doomed.returncode == -9
    reserved = [p for p in publications(stack) if p.status == "scheduling"]
    assert reserved  # the key, slot and targets outlived the process
    stack.worker()
    wait_until(
        lambda: {p.status for p in publications(stack)} == {"scheduled"},
        timeout=90,
        what=f"both containers scheduled\n{stack.logs()}",
    )
    witness = stack.sandbox.witness
    for publication in publications(stack):
        assert witness.count_applied("schedule", container_id=publication.container_id) == 1
        keys = {
            e.idempotency_key for e in witness.entries(kind="schedule", container_id=publication.container_id)
        }
        assert keys == {publication.idempotency_key}  # every send of it carried the committed key
    assert witness.count_applied("schedule") == 2
    assert clone.container_id in {p.container_id for p in publications(stack)}
