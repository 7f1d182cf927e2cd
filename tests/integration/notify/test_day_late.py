"""The capacity watch on PostgreSQL, to a real JSON webhook: runs recorded with their calls, customers due
five minutes before their local midnight and a quota of one read a minute make today's day late in their
timezone; the watch queues one notice, the sender delivers it once, and the next ticks add nothing."""

from __future__ import annotations

from datetime import time, timedelta

from agent.domain.vocabulary import LoopName, NotifyEvent
from agent.loops.capacity_watch import warn_late_days
from agent.loops.notify_delivery import deliver_due
from agent.notify.apprise_channels import AppriseChannels
from agent.sandbox import ManualClock
from agent.store import calls, customers, runs
from agent.store.db import Database
from tests.integration.notify.outbox import notify_settings, rows, services_for
from tests.integration.notify.receivers import json_receiver
from tests.support.demo import START


def record_days(db: Database, *, count: int) -> None:
    """`count` Berlin customers due at 23:55, each with yesterday's two daily runs and their reads."""
    with db.session() as session:
        for n in range(count):
            customer = customers.add(
                session, layers_project_id=f"prj_{n}", name=f"Customer {n}", timezone="Europe/Berlin"
            )
            customer.run_at = time(23, 55)
            for loop in (LoopName.PUBLISH_TO_LEARN, LoopName.OPTIMIZATION):
                run = runs.ensure(
                    session, customer_id=customer.id, loop=loop, local_date=START.date() - timedelta(days=1)
                )
                tally = {("GET", "/v1/projects/:id/top-performers", "read-light"): (3, 0)}
                calls.add(session, run_id=run.id, job_id=None, tally=tally)
                runs.finish(session, run_id=run.id, now=START - timedelta(days=1))


def test_a_late_day_is_told_once_through_the_outbox(db, database_url):
    record_days(db, count=30)
    clock = ManualClock(START)
    with json_receiver() as hook:
        settings = notify_settings(database_url, f"ops={hook.url}", rate_read_per_min=1)
        services = services_for(settings, db, clock)
        assert warn_late_days(services) == 1
        clock.advance(300)
        assert warn_late_days(services) == 0  # the same late day, seen again: told once
        (row,) = rows(db)
        assert (row.event, row.event_key, row.customer_id) == (
            NotifyEvent.DAY_LATE,
            f"day_late:Europe/Berlin:{START.date():%Y-%m-%d}",
            None,
        )
        assert deliver_due(services, AppriseChannels.from_settings(settings)) == 1
        assert deliver_due(services, AppriseChannels.from_settings(settings)) == 0
        (posted,) = hook.received
        assert posted.body["title"] == "Europe/Berlin: today's last run will finish late"
        assert "the 30 customer(s) in Europe/Berlin" in posted.body["message"]
        assert "agent capacity" in posted.body["message"]


def test_a_day_the_quota_serves_in_time_queues_nothing(db, database_url):
    record_days(db, count=30)
    settings = notify_settings(database_url, "ops=json://127.0.0.1:9/ops")  # 120 reads a minute
    assert warn_late_days(services_for(settings, db, ManualClock(START))) == 0
    assert rows(db) == []
