"""A customer's run goes from task, to clone submitted, to job polled, to clone completed, with real
worker and beat processes on Redis; and crashes at the dangerous moments lose and duplicate nothing."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text, update

from agent.crashpoints import CrashPoint
from agent.rules.schedule import local_date
from agent.store import customers, runs
from agent.store.models import Clone, Commission, Customer, Decision, Run
from tests.integration.e2e.conftest import API_KEY, wait_until

ACME = "Acme Coffee"


def create_run(stack, name, loop="publish_to_learn"):
    """Today's run for this customer; every other customer is paused so beat's dispatcher leaves them be."""
    with stack.db.session() as session:
        session.execute(update(Customer).where(Customer.name != name).values(enabled=False))
        customer = customers.find(session, ref=name)
        today = local_date(datetime.now(UTC), customer.timezone)
        return runs.ensure(session, customer_id=customer.id, loop=loop, local_date=today).id


def agent_clones(stack):
    with stack.db.session() as session:
        return list(session.scalars(select(Clone).where(Clone.origin != "prior")))


def run_status(stack, run_id):
    with stack.db.session() as session:
        return session.get_one(Run, run_id).status


def test_a_run_goes_from_task_to_completed_clone(stack):
    stack.worker()
    stack.beat()
    run_id = create_run(stack, ACME)
    stack.send_run(run_id)
    wait_until(lambda: run_status(stack, run_id) == "succeeded", what=f"run {run_id}\n{stack.logs()}")
    (clone,) = wait_until(
        lambda: [c for c in agent_clones(stack) if c.status == "completed"], what=f"clone\n{stack.logs()}"
    )
    assert clone.approval_status == "pending"
    with stack.db.session() as session:
        recorded = list(session.scalars(select(Decision).where(Decision.run_id == run_id)))
    assert any(d.action == "clone" and d.subject_id == clone.source_post_id for d in recorded)
    assert len(stack.sandbox.witness.applied_clones(container_id=clone.container_id)) == 1
    secret = API_KEY.rsplit("_", 1)[1]
    logs = stack.full_logs()
    assert "layers.call" in logs  # the worker logged its API calls at DEBUG…
    assert secret not in logs  # …and never the key
    with stack.db.engine.connect() as conn:
        dump = conn.execute(
            text("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM decisions) t")
        ).scalar_one()
        dump += conn.execute(
            text("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM clones) t")
        ).scalar_one()
        dump += conn.execute(text("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM jobs) t")).scalar_one()
    assert secret not in dump


@pytest.mark.parametrize("crash_at", [CrashPoint.AFTER_PLAN_COMMIT, CrashPoint.AFTER_CLONE_RESPONSE])
def test_a_worker_killed_mid_run_is_recovered_without_a_second_clone(stack, crash_at):
    doomed = stack.worker(CRASH_AT=crash_at)
    run_id = create_run(stack, ACME)
    stack.send_run(run_id)
    wait_until(lambda: doomed.poll() is not None, what=f"the worker to die at {crash_at}\n{stack.logs()}")
    assert doomed.returncode == -9
    (pending,) = agent_clones(stack)
    assert pending.status == "pending"  # ids committed before the call; the row outlived the process
    stack.worker()
    stack.beat()
    wait_until(lambda: run_status(stack, run_id) == "succeeded", timeout=90, what=f"recovery\n{stack.logs()}")
    (clone,) = wait_until(
        lambda: [c for c in agent_clones(stack) if c.status == "completed"], timeout=60, what=stack.logs()
    )
    assert clone.container_id == pending.container_id
    assert clone.idempotency_key == pending.idempotency_key
    assert len(stack.sandbox.witness.applied_clones(container_id=clone.container_id)) == 1
    assert stack.sandbox.witness.count_applied("clone") == 1


def test_a_worker_killed_between_committing_a_commission_and_sending_it(stack):
    doomed = stack.worker(CRASH_AT=CrashPoint.AFTER_PLAN_COMMIT)
    run_id = create_run(stack, "Pixel Pets", loop="optimization")
    stack.send_run(run_id)
    wait_until(lambda: doomed.poll() is not None, what=f"the worker to die\n{stack.logs()}")
    assert stack.sandbox.witness.count_applied("generate") == 0
    stack.worker()
    stack.beat()
    wait_until(lambda: run_status(stack, run_id) == "succeeded", timeout=90, what=f"recovery\n{stack.logs()}")

    def completed():
        with stack.db.session() as session:
            return [c for c in session.scalars(select(Commission)) if c.status == "completed"]

    wait_until(completed, timeout=60, what=stack.logs())
    assert stack.sandbox.witness.count_applied("generate") == 1
