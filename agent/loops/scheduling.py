"""The dispatcher and the sweeper: create due runs, then send every run that is not on its way yet."""

from __future__ import annotations

from collections.abc import Callable

from agent.domain.vocabulary import LoopName
from agent.logging import get_logger
from agent.loops import consent
from agent.loops.ports import Deps

log = get_logger(__name__)

# loop -> the loop whose same-day run must have ended first
DAILY_LOOPS = {LoopName.PUBLISH_TO_LEARN: None, LoopName.OPTIMIZATION: LoopName.PUBLISH_TO_LEARN}
WEEKLY_LOOP = LoopName.WEEKLY_REVIEW
SEND_BATCH = 500


def dispatch(deps: Deps, *, send: Callable[[int], object]) -> int:
    """One tick: a few set-based statements to create the runs, then the outbox is drained."""
    now = deps.now()
    weekday = deps.settings.weekly_review_weekday_index
    with deps.store() as store:
        created = sum(
            store.create_due_runs(loop=loop, now=now, weekday=None, after=after)
            for loop, after in DAILY_LOOPS.items()
        )
        created += store.create_due_runs(loop=WEEKLY_LOOP, now=now, weekday=weekday, after=None)
    sent = sweep(deps, send=send)
    log.info("dispatch_tick", created=created, sent=sent)
    return created


def sweep(deps: Deps, *, send: Callable[[int], object]) -> int:
    """Send unsent runs in batches; each batch is marked sent only once its messages are out."""
    total = 0
    while True:
        now = deps.now()
        with deps.store() as store:
            ids = store.lock_unsent_runs(
                now=now, resend_after_s=deps.settings.visibility_timeout_s * 2, limit=SEND_BATCH
            )
            for run_id in ids:
                send(run_id)
            store.mark_runs_sent(run_ids=ids, now=now)
        total += len(ids)
        if len(ids) < SEND_BATCH:
            return total


def sweep_tick(deps: Deps, *, send: Callable[[int], object]) -> int:
    """The sweeper's tick: resend lost runs first, then finish approved actions cut short.

    Runs come first and each approval is executed on its own, so no bad proposal can keep a lost run
    from being resent.
    """
    resent = sweep(deps, send=send)
    consent.execute_approved(deps)
    return resent
