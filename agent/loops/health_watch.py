"""The health watch (issue 14, beat-driven): evaluate the health signals, open the ones newly crossed and
clear the ones no longer crossed, each with its notification, in one transaction.

A signal that stays crossed changes nothing, so it is told once rather than on every tick; two watches
running at once open and clear each signal once (the store's writes are conditional).
"""

from __future__ import annotations

from agent.domain.vocabulary import NotifyEvent
from agent.logging import get_logger
from agent.loops.notifications import notify_signal
from agent.loops.ports import Deps
from agent.rules.health import evaluate
from agent.rules.notify import signal_changes, signal_event

log = get_logger(__name__)


def watch_health(deps: Deps) -> int:
    """Returns how many signals opened or cleared."""
    now, settings = deps.now(), deps.settings
    changed = 0
    with deps.store() as store:
        firing = evaluate(store.health_inputs(now=now), settings.health_thresholds())
        changes = signal_changes(firing, store.open_health_signals())
        for signal in changes.opened:
            signal_id = store.open_health_signal(
                customer_id=signal.customer_id, signal=signal.signal, detail=signal.detail, now=now
            )
            if signal_id is None:
                continue  # another watch opened it first, and told it
            changed += 1
            notify_signal(
                store,
                settings=settings,
                event=signal_event(signal.signal),
                signal_id=signal_id,
                customer_id=signal.customer_id,
                signal=signal.signal,
                detail=signal.detail,
                now=now,
            )
            log.info("health_signal_opened", customer_id=signal.customer_id, signal=signal.signal)
        for open_signal in changes.cleared:
            if not store.clear_health_signal(signal_id=open_signal.id, now=now):
                continue
            changed += 1
            notify_signal(
                store,
                settings=settings,
                event=NotifyEvent.HEALTH_CLEARED,
                signal_id=open_signal.id,
                customer_id=open_signal.customer_id,
                signal=open_signal.signal,
                detail=open_signal.detail,
                now=now,
            )
            log.info("health_signal_cleared", customer_id=open_signal.customer_id, signal=open_signal.signal)
    return changed
