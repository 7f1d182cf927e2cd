"""The dispatcher and the sweeper: create due runs, then send every run that is not on its way yet."""

from __future__ import annotations

from collections.abc import Callable

from agent.logging import get_logger
from agent.services import Services
from agent.store import dispatch as queries

log = get_logger(__name__)

# loop -> the loop whose same-day run must have ended first
DAILY_LOOPS = {"publish_to_learn": None, "optimization": "publish_to_learn"}
WEEKLY_LOOP = "weekly_review"
SEND_BATCH = 500


def dispatch(services: Services, *, send: Callable[[int], object]) -> int:
    """One tick: a few set-based statements to create the runs, then the outbox is drained."""
    now = services.now()
    weekday = services.settings.weekly_review_weekday_index
    with services.db.session() as session:
        created = sum(
            queries.create_due_runs(session, loop=loop, now=now, after=after)
            for loop, after in DAILY_LOOPS.items()
        )
        created += queries.create_due_runs(session, loop=WEEKLY_LOOP, now=now, weekday=weekday)
    sent = sweep(services, send=send)
    log.info("dispatch_tick", created=created, sent=sent)
    return created


def sweep(services: Services, *, send: Callable[[int], object]) -> int:
    """Send unsent runs in batches; each batch is marked sent only once its messages are out."""
    settings = services.settings
    total = 0
    while True:
        now = services.now()
        with services.db.session() as session:
            ids = queries.lock_unsent(
                session, now=now, resend_after_s=settings.visibility_timeout_s * 2, limit=SEND_BATCH
            )
            for run_id in ids:
                send(run_id)
            queries.mark_sent(session, ids, now=now)
        total += len(ids)
        if len(ids) < SEND_BATCH:
            return total
