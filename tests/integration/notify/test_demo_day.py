"""A demo day tells the right people: the proposal waiting for Bright Smile Dental's consent, Northwind's
ad that spent without converting and Fresh Start Bakery's silence (a health signal) arrive at a local JSON
webhook receiver and a local SMTP server, once each, in the words of `agent explain`."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from agent.domain.vocabulary import NotifyEvent
from agent.loops.health_watch import watch_health
from agent.loops.notify_delivery import deliver_due
from agent.notify.apprise_channels import AppriseChannels
from agent.services import Services
from agent.store import customers, notifications
from agent.store.models import Notification
from tests.integration.notify.receivers import json_receiver, smtp_receiver
from tests.support.demo import BAKERY, DENTAL, NORTHWIND
from tests.support.demo_day import DEMO_PACE, run_demo_day


@pytest.mark.parametrize("settings_overrides", [DEMO_PACE], indirect=True)
def test_a_demo_day_reaches_the_webhook_and_the_mailbox_once_each(services, clock):
    with json_receiver() as hook, smtp_receiver() as mail:
        urls = SecretStr(f"hook={hook.url} mail={mail.url}")
        settings = services.settings.model_copy(
            update={"notify_urls": urls, "web_base_url": "http://web.test"}
        )
        told = Services(settings=settings, db=services.db, client=services.client, clock=clock)
        run_demo_day(told, clock)
        watch_health(told)
        channels = AppriseChannels.from_settings(settings)
        sent = deliver_due(told, channels)
        assert deliver_due(told, channels) == 0  # everything marked: nothing twice
        with services.db.session() as session:
            rows = list(session.scalars(select(Notification).order_by(Notification.id)))
            told_about = {(r.event, r.customer_id) for r in rows}
            by_name = {customers.find(session, ref=n).id: n for n in (DENTAL, NORTHWIND, BAKERY)}
            proposal = next(r for r in rows if r.event == NotifyEvent.PROPOSAL_WAITING)
            explained = notifications.describe(session, decision_id=proposal.decision_id)
        assert sent == len(rows) == len(hook.received) + len(mail.received)
        expected = {
            (NotifyEvent.PROPOSAL_WAITING, DENTAL),
            (NotifyEvent.SPEND_WITHOUT_CONVERSIONS, NORTHWIND),
            (NotifyEvent.HEALTH_SIGNAL, BAKERY),
        }
        assert expected <= {(event, by_name.get(customer)) for event, customer in told_about}
        # one message per row and channel, each under its own id
        assert Counter(hook.ids()) == Counter(str(r.id) for r in rows if r.channel == "hook")
        assert Counter(mail.ids()) == Counter(str(r.id) for r in rows if r.channel == "mail")
        mailed = {str(r.id) for r in rows if r.decision_id == proposal.decision_id and r.channel == "mail"}
        email = next(m for m in mail.received if str(m["X-Notification-Ids"]) in mailed)
        text = email.get_payload(decode=True).decode()
        for sentence in explained:
            assert sentence in text
        assert f"http://web.test/decisions/{proposal.decision_id}" in text
        assert str(email["Subject"]).startswith(f"{DENTAL}: a proposal waits for consent")
