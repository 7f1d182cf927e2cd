"""Two beat processes dispatching every second, with two workers, on a real Redis: every customer gets
exactly one run per loop and day, each run executes once, and nothing is cloned twice."""

import time
from collections import Counter
from datetime import time as clock

from sqlalchemy import select, update

from agent.store.models import Clone, Customer, Decision, Run
from tests.integration.e2e.conftest import wait_until

DAILY = ("publish_to_learn", "optimization")


def snapshot(stack):
    with stack.db.session() as session:
        runs = list(session.scalars(select(Run).where(Run.loop.in_(DAILY))))
        decisions = Counter(
            (d.run_id, d.subject_id, d.action)
            for d in session.scalars(select(Decision).where(Decision.run_id.is_not(None)))
        )
        clones = list(session.scalars(select(Clone).where(Clone.origin != "prior")))
        customers = session.execute(select(Customer.id)).scalars().all()
    return runs, decisions, clones, customers


def test_two_beats_and_two_workers_make_exactly_one_run_per_customer_and_loop(stack):
    with stack.db.session() as session:
        # Due from local midnight on, wherever the customer is: every customer is due right now.
        session.execute(update(Customer).values(run_at=clock(0, 0)))
    # Leases longer than any run here, and a quota the sandbox (limits off) can take: this test is
    # about duplicate beats, not about runs outliving their lease while they queue for the quota.
    env = {"RUN_STALE_AFTER_S": "120", "RATE_READ_PER_MIN": "6000", "RATE_LONG_RUNNING_PER_MIN": "600"}
    for _ in range(2):
        stack.beat(**env)
        stack.worker(**env)

    def all_done():
        runs, *_ = snapshot(stack)
        done = [r for r in runs if r.status in ("succeeded", "failed")]
        return len(done) == len(snapshot(stack)[3]) * len(DAILY)

    wait_until(all_done, timeout=120, interval=0.5, what=f"every daily run to finish\n{stack.logs()}")
    time.sleep(3)  # several more ticks of both beats
    runs, decisions, clones, customers = snapshot(stack)
    per_key = Counter((r.customer_id, r.loop, r.local_date) for r in runs)
    assert len(per_key) == len(customers) * len(DAILY)
    assert set(per_key.values()) == {1}
    assert all(r.status == "succeeded" for r in runs), [(r.id, r.status, r.error) for r in runs]
    assert all(r.attempts == 1 for r in runs), [(r.id, r.attempts, r.error) for r in runs]
    assert set(decisions.values()) == {1}
    applied = Counter(e.container_id for e in stack.sandbox.witness.applied_clones())
    assert set(applied.values()) == {1}
    assert len(applied) == len(clones)
