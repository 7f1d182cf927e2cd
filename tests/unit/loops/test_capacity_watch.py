"""The capacity watch on the fakes: a timezone whose last run of today would end after its local midnight
is told once per day to the channels routed to `day_late`, and a day that fits the quota is not told."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from agent.domain.vocabulary import LoopName, NotifyEvent
from agent.loops.capacity_watch import warn_late_days
from agent.rules.capacity import LoopCost
from tests.support.fakes import Clock, FakeDeps, FakeLayers, Memory, fake_settings

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
URLS = "ops=json://localhost:9/ops team=json://localhost:9/team pager=json://localhost:9/pager"
ROUTES = {"team": {"customers": ["Acme Coffee"]}, "pager": {"events": ["run_failed"]}}
COSTS = [
    LoopCost(LoopName.PUBLISH_TO_LEARN, runs=10, calls={"read-light": 3.0, "long-running": 0.2}),
    LoopCost(LoopName.OPTIMIZATION, runs=10, calls={"read-light": 3.0}),
]


def world(*, reads_per_min: int, customers: int = 40) -> FakeDeps:
    memory = Memory()
    memory.loop_costs = list(COSTS)
    for n in range(customers):  # every run due five minutes before local midnight in Berlin
        memory.add_customer(
            layers_project_id=f"prj_{n}", name=f"Customer {n}", timezone="Europe/Berlin", run_at=time(23, 55)
        )
    memory.add_customer(layers_project_id="prj_acme", name="Acme Coffee", timezone="UTC", run_at=time(6, 0))
    settings = fake_settings(notify_urls=URLS, notify_routes=ROUTES, rate_read_per_min=reads_per_min)
    return FakeDeps(settings, FakeLayers(), memory, Clock(START))


def told(deps: FakeDeps) -> list[tuple[str, str]]:
    return [
        (row.new.channel, row.new.event_key)
        for row in deps.memory.notifications.values()
        if row.new.event is NotifyEvent.DAY_LATE
    ]


def test_a_day_that_ends_after_local_midnight_is_told_once_to_the_fleet_channels():
    deps = world(reads_per_min=1)  # 40 customers x 6 reads at one read a minute: four hours, not five minutes
    assert warn_late_days(deps) == 1
    assert told(deps) == [("ops", "day_late:Europe/Berlin:2026-11-28")]
    (row,) = deps.memory.notifications.values()
    assert row.new.customer_id is None
    assert row.new.title == "Europe/Berlin: today's last run will finish late"
    assert "the 40 customer(s) in Europe/Berlin" in row.new.body
    assert "after their local midnight" in row.new.body
    deps.clock.advance(300)
    assert warn_late_days(deps) == 0  # the next ticks see the same late day: told once
    assert len(told(deps)) == 1


def test_the_next_late_day_is_told_again():
    deps = world(reads_per_min=1)
    warn_late_days(deps)
    deps.clock.advance(timedelta(days=1).total_seconds())
    assert warn_late_days(deps) == 1
    assert [key for _, key in told(deps)] == [
        "day_late:Europe/Berlin:2026-11-28",
        "day_late:Europe/Berlin:2026-11-29",
    ]


def test_a_day_the_quota_serves_in_time_is_not_told():
    deps = world(reads_per_min=120)  # 240 reads in two minutes: well before midnight
    assert warn_late_days(deps) == 0
    assert told(deps) == []


def test_without_measured_runs_nothing_is_told():
    deps = world(reads_per_min=1)
    deps.memory.loop_costs = []
    assert warn_late_days(deps) == 0
