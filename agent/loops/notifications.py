"""Telling people (issue 14): the notification rows a recorded decision or a health signal causes, written
through the caller's store, so in the very transaction that records the decision or the signal.

A decision's text is its plain-words explanation (`Store.describe_decision`, the sentences `agent explain`
prints), with a link to its page on the web decision log. Which channels get it, and whether at once or
in a daily digest, is the routing rule's (`agent.rules.notify`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from agent.config import Settings
from agent.domain.decisions import NewDecision
from agent.domain.notifications import NewNotification
from agent.domain.records import CustomerRecord
from agent.domain.vocabulary import Action, NotifyEvent, Reason
from agent.loops.ports import Store
from agent.rules.capacity import ZoneFinish
from agent.rules.notify import (
    Route,
    decision_title,
    due_at,
    event_for,
    late_day_body,
    late_day_key,
    late_day_title,
    routes_for,
    signal_body,
    signal_title,
)


def customer_keys(customer: CustomerRecord) -> set[str]:
    """What a route may name a customer by: its id, name, external id or Layers project id."""
    keys = {str(customer.id), customer.name, customer.layers_project_id}
    if customer.external_id:
        keys.add(customer.external_id)
    return keys


def notify_decision(
    store: Store,
    *,
    settings: Settings,
    customer: CustomerRecord,
    decision_id: int,
    action: Action,
    reason: Reason,
    now: datetime,
) -> int:
    """Queue the notification this decision causes (if any) for every channel routed to it."""
    event = event_for(action, reason)
    if event is None:
        return 0
    routes = routes_for(event, customer_keys(customer), settings.notify_routing())
    if not routes:
        return 0
    return _queue(
        store,
        routes,
        now,
        event_key=f"decision:{decision_id}",
        event=event,
        title=decision_title(event, customer.name, decision_id),
        body="\n".join(store.describe_decision(decision_id=decision_id)),
        link=f"{settings.web_base_url}/decisions/{decision_id}",
        customer_id=customer.id,
        decision_id=decision_id,
    )


def notify_signal(
    store: Store,
    *,
    settings: Settings,
    event: NotifyEvent,
    signal_id: int,
    customer_id: int,
    signal: str,
    detail: str,
    now: datetime,
) -> int:
    """Queue the notification of a signal that opened or cleared (one event per signal row and change)."""
    customer = store.get_customer(customer_id=customer_id)
    routes = routes_for(event, customer_keys(customer), settings.notify_routing())
    change = "cleared" if event is NotifyEvent.HEALTH_CLEARED else "opened"
    return _queue(
        store,
        routes,
        now,
        event_key=f"signal:{signal_id}:{change}",
        event=event,
        title=signal_title(event, customer.name, signal),
        body=signal_body(event, customer.name, signal, detail),
        link=f"{settings.web_base_url}/health",
        customer_id=customer.id,
        signal_id=signal_id,
    )


def notify_late_day(store: Store, *, settings: Settings, zone: ZoneFinish, now: datetime) -> int:
    """Queue the notice that a timezone's day will finish late: a fleet event (no customer), so it goes to
    the channels whose route names no customers."""
    routes = routes_for(NotifyEvent.DAY_LATE, (), settings.notify_routing())
    return _queue(
        store,
        routes,
        now,
        event_key=late_day_key(zone),
        event=NotifyEvent.DAY_LATE,
        title=late_day_title(zone),
        body=late_day_body(zone),
        link=f"{settings.web_base_url}/health",
        customer_id=None,
    )


def _queue(store: Store, routes: Sequence[Route], now: datetime, **fields: Any) -> int:
    """One row per routed channel: due now, or at the channel's next digest."""
    return store.enqueue_notifications(
        items=[
            NewNotification(
                channel=r.channel, due_at=due_at(r, now), digest=r.digest_at is not None, **fields
            )
            for r in routes
        ]
    )


def notify_recorded(
    store: Store, *, settings: Settings, decision_id: int, decision: NewDecision, now: datetime
) -> int:
    """`notify_decision` for a decision recorded outside a plan (a run's failure), by its customer id."""
    return notify_decision(
        store,
        settings=settings,
        customer=store.get_customer(customer_id=decision.customer_id),
        decision_id=decision_id,
        action=decision.action,
        reason=decision.reason,
        now=now,
    )
