"""The hand-off between loops on the fakes: the run that ends a customer's publish-to-learn day creates its
optimization run in the same unit of work, once; it is sent right after, or by the sweeper after a crash."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from agent.domain.evidence import Failure
from agent.domain.records import CustomerRecord, RunRecord
from agent.domain.vocabulary import LoopName, Reason, RunStatus, Trigger
from agent.loops import scheduling
from agent.loops.failures import PermanentFailure
from agent.loops.runner import Ended, run_once
from tests.support.fakes import Clock, FakeDeps, FakeLayers, Memory, MemoryStore, fake_settings

START = datetime(2026, 11, 28, 18, 0)
DAY = date(2026, 11, 28)


class Quiet:
    """A loop that reads, decides and sends nothing (or fails for good): the runner's part is under test."""

    def __init__(self, name: LoopName, *, fails: bool = False) -> None:
        self.name, self.fails = name, fails

    def fetch(self, deps: Any, customer: CustomerRecord, policy: Any, now: datetime) -> None:
        if self.fails:
            raise PermanentFailure(Reason.LAYERS_NOT_FOUND, "no such project", Failure(message="gone"))

    def load(self, store: Any, customer: CustomerRecord, now: datetime) -> None:
        return None

    def decide(self, inputs: None, known: None, policy: Any, now: datetime) -> None:
        return None

    def record(self, store: Any, planning: Any, plan: None) -> None:
        return None

    def send(self, deps: Any, run: RunRecord) -> None:
        return None


def world(*, fails: bool = False) -> tuple[FakeDeps, dict[LoopName, Quiet]]:
    memory = Memory()
    memory.add_customer(layers_project_id="prj_1", name="Acme Coffee", timezone="UTC")
    loops = {loop: Quiet(loop, fails=fails and loop is LoopName.PUBLISH_TO_LEARN) for loop in LoopName}
    return FakeDeps(fake_settings(), FakeLayers(), memory, Clock(START)), loops


def runs_of(deps: FakeDeps, loop: LoopName) -> list[RunRecord]:
    return [r.record for r in deps.memory.runs.values() if r.record.loop is loop]


def test_the_end_of_a_publish_run_creates_that_days_optimization_run_once():
    deps, loops = world()
    publish = deps.memory.add_run(deps.memory.customers[1], LoopName.PUBLISH_TO_LEARN, DAY)
    outcome = run_once(deps, publish, loops)
    (optimization,) = runs_of(deps, LoopName.OPTIMIZATION)
    assert outcome.status is Ended.SUCCEEDED
    assert outcome.handed_off == optimization.id
    assert (optimization.local_date, optimization.status) == (DAY, RunStatus.PENDING)
    # The optimization run ending hands off nothing; a duplicate delivery of the publish run, nothing more.
    assert run_once(deps, optimization.id, loops).handed_off is None
    assert run_once(deps, publish, loops).handed_off is None
    assert len(runs_of(deps, LoopName.OPTIMIZATION)) == 1


def test_a_publish_run_that_failed_for_good_hands_off_too():
    """The dispatcher's rule is "after the same day's publish run has ended": failed counts."""
    deps, loops = world(fails=True)
    publish = deps.memory.add_run(deps.memory.customers[1], LoopName.PUBLISH_TO_LEARN, DAY)
    outcome = run_once(deps, publish, loops)
    assert outcome.status is Ended.FAILED
    assert outcome.handed_off is not None


def test_a_manual_run_or_a_paused_customer_hands_off_nothing():
    deps, loops = world()
    manual = deps.memory.add_run(deps.memory.customers[1], LoopName.PUBLISH_TO_LEARN, DAY)
    deps.memory.runs[manual].trigger = Trigger.MANUAL
    assert run_once(deps, manual, loops).handed_off is None
    paused = deps.memory.add_customer(layers_project_id="prj_2", name="Paused", timezone="UTC", enabled=False)
    run = deps.memory.add_run(paused, LoopName.PUBLISH_TO_LEARN, DAY)
    assert run_once(deps, run, loops).handed_off is None
    assert runs_of(deps, LoopName.OPTIMIZATION) == []


def test_the_handed_off_run_is_sent_right_after_or_by_the_sweeper_after_a_crash():
    deps, loops = world()
    publish = deps.memory.add_run(deps.memory.customers[1], LoopName.PUBLISH_TO_LEARN, DAY)
    handed = run_once(deps, publish, loops).handed_off
    assert handed is not None
    # Crashed between the commit and the send: the run is in the outbox, unsent.
    sent: list[int] = []
    assert scheduling.sweep(deps, send=sent.append, lost=lambda ids: []) == 1
    assert sent == [handed]
    assert scheduling.send_now(deps, run_ids=[handed], send=sent.append) == 0  # already on its way
    assert deps.memory.runs[handed].record.status is RunStatus.QUEUED


def test_send_now_sends_a_handed_off_run_once():
    deps, loops = world()
    publish = deps.memory.add_run(deps.memory.customers[1], LoopName.PUBLISH_TO_LEARN, DAY)
    handed = run_once(deps, publish, loops).handed_off
    assert handed is not None
    sent: list[int] = []
    assert scheduling.send_now(deps, run_ids=[handed], send=sent.append) == 1
    assert scheduling.sweep(deps, send=sent.append, lost=lambda ids: []) == 0
    assert sent == [handed]


def test_the_sweeper_resends_only_what_the_broker_lost():
    deps, _ = world()
    customer = deps.memory.customers[1]
    backlog = [
        deps.memory.add_run(customer, LoopName.PUBLISH_TO_LEARN, DAY - timedelta(days=n)) for n in range(5)
    ]
    MemoryStore(deps.memory).mark_runs_sent(run_ids=backlog, now=START - timedelta(hours=5))
    lost = backlog[1:3]
    asked: list[list[int]] = []

    def broker_lost(ids):
        asked.append(list(ids))
        return [i for i in ids if i in lost]

    sent: list[int] = []
    assert scheduling.sweep(deps, send=sent.append, lost=broker_lost) == 2
    assert sorted(sent) == lost  # queued for five hours, yet only the lost two are resent
    assert asked == [sorted(backlog)]
    # Without a broker that can tell (the embedded one), a run queued this long is taken for lost.
    MemoryStore(deps.memory).mark_runs_sent(run_ids=backlog, now=START - timedelta(hours=5))
    sent.clear()
    assert scheduling.sweep(deps, send=sent.append) == 5
