"""Thin Celery tasks of issue 14 (beat-driven): the outbox sender and the health watch."""

from __future__ import annotations

from celery import shared_task

from agent.loops import capacity_watch, health_watch, notify_delivery
from agent.notify.apprise_channels import AppriseChannels
from agent.worker import runtime


@shared_task(name="agent.notify", acks_late=True)
def notify() -> int:
    """Send the notifications that are due (the outbox sender)."""
    services = runtime.services()
    return notify_delivery.deliver_due(services, AppriseChannels.from_settings(services.settings))


@shared_task(name="agent.watch_health", acks_late=True)
def watch_health() -> int:
    """Open and clear the health signals, each with its notification; tell a day that will finish late."""
    services = runtime.services()
    return health_watch.watch_health(services) + capacity_watch.warn_late_days(services)
