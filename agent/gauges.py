"""The worker's gauges, read from the database at each scrape (every worker reports the same fleet-wide
numbers): runs by status today, the age of the oldest queued run, jobs in flight, proposals waiting for
consent, and when beat's dispatcher and sweeper last ran to the end (beat's liveness)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import REGISTRY, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agent.logging import get_logger
from agent.store.db import Database

log = get_logger(__name__)


class DatabaseGauges(Collector):
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock

    def collect(self) -> Iterator[Metric]:
        from agent.store import ops_gauges

        up = GaugeMetricFamily("agent_gauges_up", "1 when the gauges below could be read from the database")
        try:
            now = self.clock()
            with self.db.session() as session:
                read = ops_gauges.read(session, now=now)
        except Exception as exc:  # a scrape must answer even while the database is down
            log.warning("gauges_unavailable", error=type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        runs = GaugeMetricFamily(
            "agent_runs_today", "Runs created since UTC midnight, by status", labels=["status"]
        )
        for status, count in read.runs_today.items():
            runs.add_metric([status], count)
        yield runs
        age = (now - read.oldest_queued_at).total_seconds() if read.oldest_queued_at else 0.0
        yield GaugeMetricFamily(
            "agent_oldest_queued_run_age_seconds",
            "How long the oldest queued run has waited (0: none)",
            value=age,
        )
        yield GaugeMetricFamily(
            "agent_jobs_in_flight", "Layers jobs being followed", value=read.jobs_in_flight
        )
        yield GaugeMetricFamily(
            "agent_pending_approvals", "Proposals waiting for consent", value=read.pending_approvals
        )
        for name, seen, text in (
            ("agent_last_dispatch_timestamp_seconds", read.last_dispatch, "the dispatcher"),
            ("agent_last_sweep_timestamp_seconds", read.last_sweep, "the sweeper"),
        ):
            yield GaugeMetricFamily(
                name,
                f"When {text} last ran to the end (Unix time; 0: never): beat's pulse",
                value=seen.timestamp() if seen else 0.0,
            )


def register(db: Database, clock: Callable[[], datetime]) -> DatabaseGauges:
    collector = DatabaseGauges(db, clock)
    REGISTRY.register(collector)
    return collector
