"""The outbox sender on PostgreSQL against real protocols on this machine: Apprise's JSON webhook to a
local HTTP server and its e-mail to a local SMTP server. Each row is sent once, carries its id and
idempotency key, a failing channel backs off without holding up the other, and no URL secret leaks."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from sqlalchemy import text

from agent.domain.vocabulary import NotificationStatus
from agent.logging import configure_logging
from agent.loops.notify_delivery import deliver_due
from agent.notify.apprise_channels import AppriseChannels
from agent.sandbox import ManualClock
from tests.integration.notify.outbox import (
    add_customer,
    flag_with_notification,
    notify_settings,
    rows,
    services_for,
)
from tests.integration.notify.receivers import (
    SMTP_PASSWORD,
    WEBHOOK_SECRET,
    json_receiver,
    smtp_receiver,
)
from tests.support.demo import START


@pytest.fixture
def receivers():
    with json_receiver() as hook, smtp_receiver() as mail:
        yield hook, mail


def test_each_channel_gets_the_explanation_once_with_its_id(db, database_url, receivers):
    hook, mail = receivers
    clock = ManualClock(START)
    settings = notify_settings(database_url, f"hook={hook.url} mail={mail.url}")
    services = services_for(settings, db, clock)
    decision_id = flag_with_notification(db, settings, customer_id=add_customer(db), now=clock())
    hook_row, mail_row = rows(db)
    assert deliver_due(services, AppriseChannels.from_settings(settings)) == 2
    assert deliver_due(services, AppriseChannels.from_settings(settings)) == 0  # marked: never again
    (posted,) = hook.received
    assert posted.headers["x-idempotency-key"] == f"notification-{hook_row.id}"
    assert posted.headers["x-notification-ids"] == str(hook_row.id)
    assert posted.body["idempotency_key"] == f"notification-{hook_row.id}"
    assert (
        posted.body["title"]
        == f"Northwind Fitness: an ad spent without a conversion (decision {decision_id})"
    )
    assert "Ad ad_burpee spent 87.50 with 0 conversions" in posted.body["message"]
    assert f"http://web.test/decisions/{decision_id}" in posted.body["message"]
    (email,) = mail.received
    assert email["X-Idempotency-Key"] == f"notification-{mail_row.id}"
    assert email["Subject"] == posted.body["title"]
    assert f"Notification #{mail_row.id}" in email.get_payload(decode=True).decode()
    assert {r.status for r in rows(db)} == {NotificationStatus.SENT}
    services.client.close()


def test_a_failing_channel_backs_off_while_the_other_is_served(db, database_url, receivers):
    hook, mail = receivers
    clock = ManualClock(START)
    settings = notify_settings(
        database_url, f"hook={hook.url} mail={mail.url}", notify_retry_base_s=30, notify_max_attempts=3
    )
    services = services_for(settings, db, clock)
    customer = add_customer(db)
    flag_with_notification(db, settings, customer_id=customer, now=clock(), ad="ad_one")
    flag_with_notification(db, settings, customer_id=customer, now=clock(), ad="ad_two")
    channels = AppriseChannels.from_settings(settings)
    hook.failing = True
    assert deliver_due(services, channels) == 2  # both e-mails
    assert len(mail.received) == 2
    assert hook.received == []
    waiting = [r for r in rows(db) if r.channel == "hook"]
    assert [r.attempts for r in waiting] == [1, 0]  # the second was held, not tried: attempt given back
    assert all(r.status == NotificationStatus.PENDING and r.due_at > clock() for r in waiting)
    assert "503" in (waiting[0].last_error or "") or "did not take it" in (waiting[0].last_error or "")
    assert deliver_due(services, channels) == 0  # backing off
    hook.failing = False
    clock.advance(31)
    assert deliver_due(services, channels) == 2
    assert sorted(hook.ids()) == sorted(str(r.id) for r in waiting)
    services.client.close()


def test_a_channel_that_keeps_failing_is_given_up_at_the_bound(db, database_url):
    clock = ManualClock(START)
    dead = f"json://127.0.0.1:9/hooks/{WEBHOOK_SECRET}?cto=0.5&rto=0.5"  # nothing listens on port 9
    settings = notify_settings(database_url, f"dead={dead}", notify_max_attempts=2, notify_retry_base_s=1)
    services = services_for(settings, db, clock)
    flag_with_notification(db, settings, customer_id=add_customer(db), now=clock())
    channels = AppriseChannels.from_settings(settings)
    deliver_due(services, channels)
    clock.advance(2)
    deliver_due(services, channels)
    (row,) = rows(db)
    assert row.status == NotificationStatus.GIVEN_UP
    assert row.attempts == 2
    assert row.last_error
    assert WEBHOOK_SECRET not in row.last_error
    services.client.close()


def test_no_channel_secret_reaches_the_logs_or_the_database(db, database_url, receivers, capsys):
    hook, mail = receivers
    clock = ManualClock(START)
    dead = f"json://user:{SMTP_PASSWORD}@127.0.0.1:9/hooks/{WEBHOOK_SECRET}?cto=0.5&rto=0.5"
    settings = notify_settings(
        database_url, f"hook={hook.url} mail={mail.url} dead={dead}", log_level="DEBUG"
    )
    configure_logging("DEBUG", "json")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the test SMTP server's own chatter
    try:
        services = services_for(settings, db, clock)
        flag_with_notification(db, settings, customer_id=add_customer(db), now=clock())
        deliver_due(services, AppriseChannels.from_settings(settings))
        logging.getLogger("apprise").warning("a stray apprise line naming %s", dead)
        logging.getLogger("urllib3.connectionpool").debug("POST %s", dead)
        services.client.close()
        output = capsys.readouterr()
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    logs = output.out + output.err
    assert "notification_sent" in logs
    assert "notification_failed" in logs
    with db.engine.connect() as conn:
        dump = conn.execute(
            text("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM notifications) t")
        ).scalar_one()
    shown = repr(AppriseChannels.from_settings(settings)) + repr(settings)
    for secret in (WEBHOOK_SECRET, SMTP_PASSWORD, hook.url, mail.url):
        assert secret not in logs, secret  # …but never a URL or its secret
        assert secret not in dump, secret
        assert secret not in shown, secret
    assert json.dumps([r.channel for r in rows(db)]) == json.dumps(["hook", "mail", "dead"])
