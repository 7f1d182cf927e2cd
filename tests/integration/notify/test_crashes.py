"""The sender in real worker processes (Celery on Redis, beat-driven), killed at the dangerous moments: a
worker killed after claiming and before sending loses nothing (each notification arrives once); one killed
after the send and before the mark causes at most one repeat, carrying the same id and key."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import redis

from agent.crashpoints import CrashPoint
from agent.domain.vocabulary import NotificationStatus
from tests.integration.notify.outbox import (
    API_KEY,
    add_customer,
    flag_with_notification,
    notify_settings,
    rows,
)
from tests.integration.notify.processes import Processes, wait_until
from tests.integration.notify.receivers import json_receiver, smtp_receiver
from tests.support.demo import START

LEASE_S = "5"  # longer than one send on a loaded machine: the lease need only cover one


@pytest.fixture
def stack(db, database_url, tmp_path):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with scripts/test (it starts Redis)")
    client = redis.Redis.from_url(url)
    client.flushdb()
    with json_receiver() as hook, smtp_receiver() as mail:
        urls = f"hook={hook.url} mail={mail.url}"
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": url,
            "LAYERS_API_KEY": API_KEY,
            "LAYERS_BASE_URL": "http://127.0.0.1:9",
            "NOTIFY_URLS": urls,
            "NOTIFY_INTERVAL_S": "0.5",
            "NOTIFY_LEASE_S": LEASE_S,
            "HEALTH_WATCH_INTERVAL_S": "3600",
            "DISPATCH_INTERVAL_S": "3600",
            "SWEEP_INTERVAL_S": "3600",
            "POLLER_TICK_S": "3600",
            "METRICS_PORT": "0",
            "LOG_FORMAT": "json",
        }
        processes = Processes(env, tmp_path)
        yield processes, hook, mail, notify_settings(database_url, urls)
        processes.stop_all()
    client.flushdb()
    client.close()


def seed(db, settings, count: int = 2) -> list[int]:
    customer = add_customer(db, paused=True)
    for n in range(count):
        flag_with_notification(db, settings, customer_id=customer, now=START, ad=f"ad_{n}")
    return [r.id for r in rows(db)]


def all_sent(db) -> bool:
    return all(r.status == NotificationStatus.SENT for r in rows(db))


def test_a_worker_killed_between_the_claim_and_the_send_loses_nothing(db, stack):
    processes, hook, mail, settings = stack
    ids = seed(db, settings)
    doomed = processes.worker(CRASH_AT=CrashPoint.AFTER_NOTIFY_CLAIM)
    processes.beat()
    wait_until(lambda: doomed.poll() is not None, timeout=120, what=f"the worker to die\n{processes.logs()}")
    assert doomed.returncode == -9
    assert hook.received == []
    assert mail.received == []
    assert all(r.lease_until is not None and r.attempts == 1 for r in rows(db))  # claimed, committed
    processes.worker()
    wait_until(lambda: all_sent(db), timeout=120, what=f"the resend\n{processes.logs()}")
    wait_until(lambda: len(hook.received) + len(mail.received) >= len(ids), what="every delivery")
    time.sleep(2 * float(LEASE_S))  # a second sender that would repeat them has had its chance
    assert sorted(hook.ids() + mail.ids()) == sorted(str(i) for i in ids)  # each exactly once


def test_a_worker_killed_after_the_send_and_before_the_mark_repeats_at_most_once_with_the_same_id(db, stack):
    processes, hook, mail, settings = stack
    seed(db, settings, count=1)
    doomed = processes.worker(CRASH_AT=CrashPoint.AFTER_NOTIFY_SEND)
    processes.beat()
    wait_until(lambda: doomed.poll() is not None, timeout=120, what=f"the worker to die\n{processes.logs()}")
    first = hook.received + mail.received
    assert len(first) == 1  # the channel took it; the worker died before marking it
    processes.worker()
    wait_until(lambda: all_sent(db), timeout=120, what=f"the resend\n{processes.logs()}")
    wait_until(lambda: len(hook.received) + len(mail.received) == 3, what="the other channel and the repeat")
    keys = Counter(
        [p.headers["x-idempotency-key"] for p in hook.received]
        + [str(m["X-Idempotency-Key"]) for m in mail.received]
    )
    assert sorted(keys.values()) == [1, 2]  # one row repeated once, under its own id; the other once
    time.sleep(2 * float(LEASE_S))  # time enough for a third send, were a marked row ever claimed again
    assert len(hook.received) + len(mail.received) == 3  # marked now: never sent a third time
