"""Helpers for the outbox tests: the agent's services with named channels, a decision recorded with its
notification in one transaction (as the loops do), and the rows as the database holds them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from agent.config import Settings, load_settings
from agent.domain.decisions import Subject
from agent.domain.vocabulary import Action, LoopName, Reason, SubjectType
from agent.layers.client import LayersClient
from agent.loops.notifications import notify_decision
from agent.services import Services
from agent.store import customers
from agent.store.db import Database
from agent.store.models import Notification
from agent.store.sql import SqlStore
from tests.support import builders as b

API_KEY = "lp_test_notify_SENTINELkey"


def notify_settings(database_url: str, urls: str, **overrides: object) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=database_url,
        layers_api_key=API_KEY,
        layers_base_url="http://127.0.0.1:9",
        notify_urls=urls,
        web_base_url="http://web.test",
        **overrides,
    )


def services_for(settings: Settings, db: Database, clock: Callable[[], datetime]) -> Services:
    return Services(settings=settings, db=db, client=LayersClient.from_settings(settings), clock=clock)


def add_customer(db: Database, *, paused: bool = False) -> int:
    """Northwind; `paused` keeps a beat's dispatcher from starting runs for it (crash tests want the sender
    alone in the worker)."""
    with db.session() as session:
        customer = customers.add(
            session, layers_project_id="prj_nw", name="Northwind Fitness", timezone="UTC"
        )
        customer.enabled = not paused
        return customer.id


def flag_with_notification(
    db: Database, settings: Settings, *, customer_id: int, now: datetime, ad: str = "ad_burpee"
) -> int:
    """A spend-without-conversions flag and its notifications, committed together; returns the decision id."""
    with db.session() as session:
        found = customers.find(session, ref=customer_id)
        decision_id = b.decision(
            session,
            customer_id=found.id,
            loop=LoopName.OPTIMIZATION,
            action=Action.FLAG,
            reason=Reason.SPEND_WITHOUT_CONVERSIONS,
            subject=Subject(SubjectType.AD, ad),
            evidence=b.spend_flag(spend=87.5, impressions=1000, window_until=now),
            dedupe_key=f"flag:{ad}",
        )
        notify_decision(
            SqlStore(session),
            settings=settings,
            customer=customers.to_record(found),
            decision_id=decision_id,
            action=Action.FLAG,
            reason=Reason.SPEND_WITHOUT_CONVERSIONS,
            now=now,
        )
    return decision_id


def rows(db: Database) -> list[Notification]:
    with db.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))
