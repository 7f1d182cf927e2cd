"""Thin Celery tasks of the publish/learn cycle (issue 15): beat runs them; each calls one use case."""

from __future__ import annotations

from celery import shared_task

from agent.loops import publishing, verdicts
from agent.worker import runtime


@shared_task(name="agent.publish", acks_late=True)
def publish() -> int:
    """Take approved clones live: reviews, consent, schedules and their posts (beat, every PUBLISH_TICK_S)."""
    return publishing.tick(runtime.services())


@shared_task(name="agent.judge_clones", acks_late=True)
def judge_clones() -> int:
    """Give every clone whose window has settled its verdict (beat, every VERDICT_TICK_S)."""
    return verdicts.tick(runtime.services())
