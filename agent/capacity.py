"""The capacity of this API key, measured: the calls recorded with recent runs (`run_calls`), the enabled
customers' schedule and the tier settings, through the pure rule (`agent.rules.capacity`). `agent
capacity` prints it; the worker's /metrics serves the same figures (`CapacityCollector`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from agent.config import Settings
from agent.logging import get_logger
from agent.rules.capacity import MEASURED_DAYS, Capacity, assess
from agent.store import calls, customers
from agent.store.db import Database

log = get_logger(__name__)

METRICS_TTL_S = 300.0  # capacity moves slowly: a scrape reuses figures this recent


@dataclass(frozen=True)
class Measured:
    capacity: Capacity
    since: date  # runs of local dates from here on were measured
    runs: Mapping[str, int]  # measured runs per loop
    rate_limited_share: float | None  # 429 answers among the measured calls


def measure(db: Database, settings: Settings, now: datetime, *, days: int = MEASURED_DAYS) -> Measured:
    since = now.astimezone(UTC).date() - timedelta(days=days)
    with db.session() as session:
        costs = calls.loop_costs(session, since=since)
        groups = customers.schedule_groups(session)
        share = calls.rate_limited_share(session, since=since)
    capacity = assess(
        rates=settings.tier_rates(),
        costs=costs,
        groups=groups,
        now=now,
        weekly_review_weekday=settings.weekly_review_weekday_index,
    )
    return Measured(capacity, since, {str(cost.loop): cost.runs for cost in costs}, share)


class CapacityCollector(Collector):
    """The capacity figures as gauges, computed at scrape time at most every `ttl_s` seconds."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ttl_s: float = METRICS_TTL_S,
    ) -> None:
        self._db, self._settings, self._clock, self._ttl_s = db, settings, clock, ttl_s
        self._cached: tuple[float, Measured] | None = None
        self._lock = threading.Lock()

    def describe(self) -> list[Metric]:
        return []  # no description: registering must not query the database

    def collect(self) -> Iterator[Metric]:
        measured = self._measured()
        if measured is None:
            return
        capacity = measured.capacity
        per_day = GaugeMetricFamily(
            "agent_capacity_customers_per_day",
            "Customers this API key can serve per day, at the measured cost",
        )
        if capacity.customers_per_day is not None:
            per_day.add_metric([], capacity.customers_per_day)
        yield per_day
        yield GaugeMetricFamily("agent_capacity_customers", "Enabled customers", value=capacity.customers)
        yield GaugeMetricFamily(
            "agent_capacity_over_quota",
            "1 when today's demand exceeds the quota in the daily window",
            value=int(capacity.over_quota),
        )
        calls_per_day = GaugeMetricFamily(
            "agent_capacity_calls_per_customer_day",
            "Layers calls of an average customer-day, measured on recorded runs",
            labels=["endpoint_class"],
        )
        demand = GaugeMetricFamily(
            "agent_capacity_demand_ratio",
            "Today's calls over a day of this class's quota",
            labels=["endpoint_class"],
        )
        for endpoint_class, value in capacity.per_customer_day.items():
            calls_per_day.add_metric([endpoint_class], value)
            demand.add_metric([endpoint_class], capacity.demand_share[endpoint_class])
        yield calls_per_day
        yield demand
        finish = GaugeMetricFamily(
            "agent_capacity_last_run_finish_timestamp_seconds",
            "When today's last run of a timezone should end, at the quota's pace (Unix time)",
            labels=["timezone"],
        )
        margin = GaugeMetricFamily(
            "agent_capacity_last_run_margin_seconds",
            "Seconds from that finish to the timezone's local midnight (negative: over the daily window)",
            labels=["timezone"],
        )
        for zone in capacity.zones:
            finish.add_metric([zone.timezone], zone.finish_at.timestamp())
            margin.add_metric([zone.timezone], (zone.day_ends_at - zone.finish_at).total_seconds())
        yield finish
        yield margin

    def _measured(self) -> Measured | None:
        """Fresh enough figures; the last ones (or none) when the database cannot answer, so a database
        outage never fails the whole scrape."""
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._ttl_s:
                try:
                    self._cached = (now, measure(self._db, self._settings, self._clock()))
                except Exception:
                    log.exception("capacity_metrics_unavailable")
            return self._cached[1] if self._cached is not None else None


def serve_figures(db: Database, settings: Settings) -> None:
    """Add the capacity gauges to this process's /metrics (the worker's)."""
    REGISTRY.register(CapacityCollector(db, settings))
