"""How many customers one Layers API key can serve per day, and when today's runs should end: pure.

The quota is per key and per endpoint class (CONTRACT §4), shared by every customer, so it is the fleet's
physical limit. The inputs are the tier's rates (the `RATE_*_PER_MIN` settings) and the calls each loop
costs per run, measured on recorded runs (job polls included). The rule:

- A customer-day costs, per class, the mean calls of a publish-to-learn run plus an optimization run, plus
  a weekly review on its weekday (a seventh of one on an average day).
- Customers per day = min over classes of (rate per minute x 1440) / (calls per customer-day).
- Today's finish times: customers become due at their local run time and are served first come, first
  served at the pace of the class that binds (a customer takes max over classes of calls / rate). The
  queue is simulated from yesterday's due times on, so a backlog that spills over midnight UTC counts.
- The daily window of a customer is its local day: a run due at 06:00 must end before local midnight,
  when the next day's run is due. Demand exceeds the quota when a timezone's last run would end after
  its local midnight, or when today's calls of any class exceed a day of that class's quota.

Burst and latency are left out: the projection is the quota's pace, the fastest any worker fleet can go.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.domain.vocabulary import LoopName

MINUTES_PER_DAY = 24 * 60
DAILY = (LoopName.PUBLISH_TO_LEARN, LoopName.OPTIMIZATION)
DAYS_PER_WEEK = 7
MEASURED_DAYS = 7  # calls are measured on a week of runs, so the weekly review weighs in once


@dataclass(frozen=True)
class LoopCost:
    """What one run of a loop costs, measured: mean calls per run by endpoint class, over `runs` runs."""

    loop: LoopName
    runs: int
    calls: Mapping[str, float]


@dataclass(frozen=True)
class ScheduleGroup:
    """Enabled customers sharing a timezone and a local run time."""

    timezone: str
    run_at: time
    customers: int


@dataclass(frozen=True)
class ZoneFinish:
    """When a timezone's last run of today should end, at the quota's pace (UTC instants)."""

    timezone: str
    customers: int
    first_due_at: datetime
    finish_at: datetime
    day_ends_at: datetime  # the customers' local midnight: the end of their daily window

    @property
    def late(self) -> bool:
        return self.finish_at > self.day_ends_at


@dataclass(frozen=True)
class Capacity:
    rates: Mapping[str, int]  # per minute, by endpoint class
    per_customer_day: Mapping[str, float]  # calls of an average customer-day, by class
    customers_per_day: int | None  # None: no calls measured yet
    binding_class: str | None
    customers: int
    demand_share: Mapping[str, float]  # today's calls / a day of quota, by class
    zones: tuple[ZoneFinish, ...]

    @property
    def late_zones(self) -> tuple[ZoneFinish, ...]:
        return tuple(zone for zone in self.zones if zone.late)

    @property
    def over_quota(self) -> bool:
        return bool(self.late_zones) or any(share > 1 for share in self.demand_share.values())


def assess(
    *,
    rates: Mapping[str, int],
    costs: Sequence[LoopCost],
    groups: Sequence[ScheduleGroup],
    now: datetime,
    weekly_review_weekday: int,
) -> Capacity:
    """The capacity of the key and today's projection (see the module docstring for the rule)."""
    by_loop = {cost.loop: cost.calls for cost in costs}
    average = _customer_day(by_loop, rates, review_share=1 / DAYS_PER_WEEK)
    served = {c: rates[c] * MINUTES_PER_DAY / calls for c, calls in average.items() if calls > 0}
    binding = min(served, key=lambda c: served[c]) if served else None
    today = [_day_of(group, now, 0) for group in groups]
    demand = {c: 0.0 for c in rates}
    for group, day in zip(groups, today, strict=True):
        cost = _customer_day(by_loop, rates, review_share=float(day.weekday() == weekly_review_weekday))
        for c in rates:
            demand[c] += group.customers * cost[c]
    return Capacity(
        rates=dict(rates),
        per_customer_day=average,
        customers_per_day=math.floor(served[binding]) if binding is not None else None,
        binding_class=binding,
        customers=sum(group.customers for group in groups),
        demand_share={c: demand[c] / (rates[c] * MINUTES_PER_DAY) for c in rates},
        zones=_project(by_loop, rates, groups, now, weekly_review_weekday),
    )


def _customer_day(
    by_loop: Mapping[LoopName, Mapping[str, float]], rates: Mapping[str, int], *, review_share: float
) -> dict[str, float]:
    shares = {loop: 1.0 for loop in DAILY} | {LoopName.WEEKLY_REVIEW: review_share}
    return {
        c: sum(share * by_loop.get(loop, {}).get(c, 0.0) for loop, share in shares.items()) for c in rates
    }


def _service_s(cost: Mapping[str, float], rates: Mapping[str, int]) -> float:
    """Seconds of the binding class's quota one customer-day takes."""
    return max((cost[c] * 60 / rates[c] for c in rates), default=0.0)


def _day_of(group: ScheduleGroup, now: datetime, offset_days: int) -> date:
    return now.astimezone(ZoneInfo(group.timezone)).date() + timedelta(days=offset_days)


def _instant(day: date, at: time, timezone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def _project(
    by_loop: Mapping[LoopName, Mapping[str, float]],
    rates: Mapping[str, int],
    groups: Sequence[ScheduleGroup],
    now: datetime,
    weekly_review_weekday: int,
) -> tuple[ZoneFinish, ...]:
    """First come, first served from yesterday's due times on; today's finish per timezone."""
    arrivals = []
    for group in groups:
        for offset in (-1, 0):
            day = _day_of(group, now, offset)
            cost = _customer_day(by_loop, rates, review_share=float(day.weekday() == weekly_review_weekday))
            due = _instant(day, group.run_at, group.timezone)
            arrivals.append((due, offset, group, day, group.customers * _service_s(cost, rates)))
    arrivals.sort(key=lambda arrival: (arrival[0], arrival[2].timezone, arrival[2].run_at))
    busy_until: datetime | None = None
    zones: dict[str, ZoneFinish] = {}
    for due, offset, group, day, work_s in arrivals:
        start = due if busy_until is None else max(due, busy_until)
        busy_until = start + timedelta(seconds=work_s)
        if offset < 0:
            continue
        ends = _instant(day + timedelta(days=1), time(0, 0), group.timezone)
        seen = zones.get(group.timezone)
        zones[group.timezone] = ZoneFinish(
            timezone=group.timezone,
            customers=group.customers + (seen.customers if seen else 0),
            first_due_at=min(due, seen.first_due_at) if seen else due,
            finish_at=max(busy_until, seen.finish_at) if seen else busy_until,
            day_ends_at=ends,
        )
    return tuple(sorted(zones.values(), key=lambda zone: (zone.first_due_at, zone.timezone)))
