"""The capacity rule as tables: customers per day, the binding class, today's finish per timezone, and when
demand exceeds the quota in the daily window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from agent.domain.vocabulary import LoopName
from agent.rules.capacity import LoopCost, ScheduleGroup, assess

STANDARD = {"read-light": 120, "write-light": 60, "long-running": 20}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
MONDAY, WEDNESDAY = 0, 2
PTL, OPT, WKR = LoopName.PUBLISH_TO_LEARN, LoopName.OPTIMIZATION, LoopName.WEEKLY_REVIEW


def cost(loop: LoopName, reads: float = 0.0, writes: float = 0.0, long: float = 0.0) -> LoopCost:
    return LoopCost(loop, runs=10, calls={"read-light": reads, "write-light": writes, "long-running": long})


def group(customers: int, tz: str = "UTC", at: time = time(6, 0)) -> ScheduleGroup:
    return ScheduleGroup(tz, at, customers)


def run(costs, groups=(), *, rates=STANDARD, now=NOW, weekday=MONDAY):
    return assess(rates=rates, costs=costs, groups=groups, now=now, weekly_review_weekday=weekday)


@pytest.mark.parametrize(
    ("costs", "per_day", "binding"),
    [
        pytest.param([cost(PTL, 2), cost(OPT, 4)], 28_800, "read-light", id="reads: 120 x 1440 / 6"),
        pytest.param(
            [cost(PTL, 1, long=1), cost(OPT, 1)], 28_800, "long-running", id="one clone a day binds"
        ),
        pytest.param([cost(PTL, 5, long=0.5), cost(OPT, 5)], 17_280, "read-light", id="reads bind first"),
        # A weekly review of 7 reads weighs one read on an average day: 6 + 1 = 7 reads.
        pytest.param([cost(PTL, 2), cost(OPT, 4), cost(WKR, 7)], 24_685, "read-light", id="review a 7th"),
        pytest.param([cost(PTL, 2.5), cost(OPT, 3.5)], 28_800, "read-light", id="fractional means"),
        pytest.param([], None, None, id="nothing measured"),
    ],
)
def test_customers_per_day_is_the_binding_class_quota_over_its_calls(costs, per_day, binding):
    capacity = run(costs)
    assert (capacity.customers_per_day, capacity.binding_class) == (per_day, binding)


def test_per_customer_day_adds_the_daily_loops_and_a_seventh_of_the_review():
    capacity = run([cost(PTL, 2, long=0.7), cost(OPT, 4, writes=0.1), cost(WKR, 7)])
    assert capacity.per_customer_day == pytest.approx(
        {"read-light": 7.0, "write-light": 0.1, "long-running": 0.7}
    )


@pytest.mark.parametrize(
    ("groups", "finishes"),
    [
        # 120 customers x 6 reads = 720 reads at 120/min: six minutes from 06:00 UTC.
        pytest.param([group(120)], {"UTC": "06:06"}, id="one zone"),
        # Berlin (UTC+1 in November) at 06:00 is 05:00 UTC and goes first; UTC waits for it to finish.
        pytest.param(
            [group(120), group(600, "Europe/Berlin")],
            {"Europe/Berlin": "05:30", "UTC": "06:06"},
            id="earlier zone first",
        ),
        pytest.param(
            [group(1500, "Europe/Berlin"), group(120)],
            {"Europe/Berlin": "06:15", "UTC": "06:21"},
            id="queued behind a backlog",
        ),
        pytest.param(
            [group(60, at=time(6, 0)), group(60, at=time(7, 0))],
            {"UTC": "07:03"},
            id="two run times, one zone",
        ),
    ],
)
def test_todays_last_run_per_timezone_at_the_quotas_pace(groups, finishes):
    capacity = run([cost(PTL, 2), cost(OPT, 4)], groups)
    got = {zone.timezone: zone.finish_at.strftime("%H:%M") for zone in capacity.zones}
    assert got == finishes
    assert not capacity.over_quota


def test_yesterdays_backlog_that_spills_past_midnight_delays_today():
    # 23:00 UTC, 4,800 customers x 6 reads = 4 hours: yesterday's spill runs until 03:00 today.
    late_zone = group(4800, "UTC", time(23, 0))
    early = group(120, "Etc/GMT-3", time(4, 0))  # 04:00 at UTC+3 is 01:00 UTC, behind the spill
    capacity = run([cost(PTL, 2), cost(OPT, 4)], [late_zone, early])
    zones = {zone.timezone: zone for zone in capacity.zones}
    assert zones["Etc/GMT-3"].finish_at == datetime(2026, 11, 25, 3, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("customers", "late", "over"),
    [
        pytest.param(21_599, False, False, id="ends before midnight"),
        # From 06:00 a day has 18 h of quota left: 18 x 60 x 120 / 6 = 21,600 customers.
        pytest.param(21_700, True, True, id="spills past local midnight"),
    ],
)
def test_demand_exceeds_the_quota_when_a_zone_ends_after_its_local_midnight(customers, late, over):
    capacity = run([cost(PTL, 2), cost(OPT, 4)], [group(customers)])
    (zone,) = capacity.zones
    assert (zone.late, capacity.over_quota) == (late, over)
    assert zone.day_ends_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def test_demand_above_a_days_quota_is_over_even_when_spread_over_the_day():
    # 24 zones an hour apart, 1,300 customers each: 31,200 > 28,800 customers a day.
    groups = [group(1300, f"Etc/GMT{offset:+d}" if offset else "UTC") for offset in range(-11, 13)]
    capacity = run([cost(PTL, 2), cost(OPT, 4)], groups)
    assert capacity.demand_share["read-light"] == pytest.approx(31_200 / 28_800)
    assert capacity.over_quota


def test_the_weekly_review_counts_today_only_where_it_is_that_weekday_locally():
    # 2026-11-25 12:00 UTC is already Thursday at UTC+14 and still Wednesday at UTC-12.
    ahead, behind = group(100, "Pacific/Kiritimati"), group(100, "Etc/GMT+12")
    thursday = run([cost(PTL, 2), cost(OPT, 4), cost(WKR, 6)], [ahead, behind], weekday=3)
    wednesday = run([cost(PTL, 2), cost(OPT, 4), cost(WKR, 6)], [ahead, behind], weekday=WEDNESDAY)
    assert thursday.demand_share["read-light"] == wednesday.demand_share["read-light"]
    assert thursday.demand_share["read-light"] == pytest.approx((100 * 12 + 100 * 6) / (120 * 1440))
    zones = {zone.timezone: zone for zone in thursday.zones}
    # The review makes a Kiritimati customer-day 12 reads: 100 of them take 10 minutes from 06:00 local.
    ahead_due = zones["Pacific/Kiritimati"].first_due_at
    assert zones["Pacific/Kiritimati"].finish_at - ahead_due == timedelta(minutes=10)


def test_no_customers_no_demand():
    capacity = run([cost(PTL, 2), cost(OPT, 4)])
    assert (capacity.customers, capacity.zones, capacity.over_quota) == (0, (), False)
    assert capacity.demand_share == {"read-light": 0.0, "write-light": 0.0, "long-running": 0.0}
