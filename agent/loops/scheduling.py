"""The dispatcher and the sweeper: create due runs, then send every run that is not on its way yet.

The runs table is the outbox: a run is sent, then marked `queued` in the same transaction. The sweeper
resends what is not on its way: runs never sent, runs whose worker stopped renewing their lease, and
queued runs whose message the broker lost (`lost`: the Redis broker keeps a marker per run that a flush
erases with the messages). Only where nothing can tell (the embedded broker) is a run still queued after
2 x VISIBILITY_TIMEOUT_S taken for lost.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from agent.domain.vocabulary import LoopName, Tick
from agent.logging import get_logger
from agent.loops import consent
from agent.loops.ports import Deps

log = get_logger(__name__)

# loop -> the loop whose same-day run must have ended first
DAILY_LOOPS = {LoopName.PUBLISH_TO_LEARN: None, LoopName.OPTIMIZATION: LoopName.PUBLISH_TO_LEARN}
# loop -> the loop whose run is created the moment this one's run ends (the hand-off; the dispatcher's
# `after` rule above is its catch-up)
HAND_OFF = {after: loop for loop, after in DAILY_LOOPS.items() if after is not None}
WEEKLY_LOOP = LoopName.WEEKLY_REVIEW
SEND_BATCH = 500
LOST_SCAN_LIMIT = 50_000  # queued runs the broker is asked about per sweep

Send = Callable[[int], object]
Lost = Callable[[Sequence[int]], Collection[int]]  # of these queued runs, the ones without a message


def dispatch(deps: Deps, *, send: Send, lost: Lost | None = None) -> int:
    """One tick: a few set-based statements to create the runs, then the outbox is drained."""
    now = deps.now()
    weekday = deps.settings.weekly_review_weekday_index
    with deps.store() as store:
        created = sum(
            store.create_due_runs(loop=loop, now=now, weekday=None, after=after)
            for loop, after in DAILY_LOOPS.items()
        )
        created += store.create_due_runs(loop=WEEKLY_LOOP, now=now, weekday=weekday, after=None)
    sent = sweep(deps, send=send, lost=lost)
    _heartbeat(deps, Tick.DISPATCH)
    log.info("dispatch_tick", created=created, sent=sent)
    return created


def sweep(deps: Deps, *, send: Send, lost: Lost | None = None) -> int:
    """Send unsent runs in batches; each batch is marked sent only once its messages are out."""
    resend_after_s: int | None = deps.settings.visibility_timeout_s * 2
    suspects: set[int] = set()
    if lost is not None:  # the broker tells what it lost: a backlog queued for hours is left alone
        resend_after_s = None
        with deps.store() as store:
            queued = store.queued_run_ids(limit=LOST_SCAN_LIMIT)
        suspects = set(lost(queued))
        if suspects:
            log.warning("run_messages_lost", runs=len(suspects))
    total = 0
    while True:
        now = deps.now()
        with deps.store() as store:
            ids = store.lock_unsent_runs(
                now=now, resend_after_s=resend_after_s, limit=SEND_BATCH, lost=sorted(suspects)
            )
            for run_id in ids:
                send(run_id)
            store.mark_runs_sent(run_ids=ids, now=now)
        suspects.difference_update(ids)
        total += len(ids)
        if len(ids) < SEND_BATCH:
            return total


def send_now(deps: Deps, *, run_ids: Sequence[int], send: Send) -> int:
    """Send these runs now if they are still unsent (a hand-off, just committed); a crash before this
    leaves them to the next sweep."""
    with deps.store() as store:
        ids = store.lock_pending_runs(run_ids=run_ids)
        for run_id in ids:
            send(run_id)
        store.mark_runs_sent(run_ids=ids, now=deps.now())
    return len(ids)


def sweep_tick(deps: Deps, *, send: Send, lost: Lost | None = None) -> int:
    """The sweeper's tick: resend lost runs first, then finish approved actions cut short.

    Runs come first and each approval is executed on its own, so no bad proposal can keep a lost run
    from being resent.
    """
    resent = sweep(deps, send=send, lost=lost)
    consent.execute_approved(deps)
    _heartbeat(deps, Tick.SWEEP)
    return resent


def _heartbeat(deps: Deps, tick: Tick) -> None:
    """The tick ran to the end: `agent health` and the metrics read beat's pulse from this."""
    with deps.store() as store:
        store.record_heartbeat(tick=tick, now=deps.now())
