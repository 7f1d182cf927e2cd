"""The outbox sender (issue 14, beat-driven): claim the due notification rows (a lease, committed), send
each to its channel, then mark it sent in a transaction of its own.

A crash before the send leaves the row to be claimed again when its lease lapses, so nothing is lost; the
only window for a repeat is a crash after the send and before the mark, and every message carries its
rows' stable ids (and an idempotency key) so the receiver can drop that repeat. A row marked sent is never
claimed again. A failing channel is retried with a bounded backoff and given up after
NOTIFY_MAX_ATTEMPTS; its other rows wait with it, and the other channels go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from agent.config import Settings
from agent.crashpoints import CrashPoint, crashpoint
from agent.domain.notifications import ChannelFailed, Message, Outgoing
from agent.logging import get_logger
from agent.loops.ports import Channels, Deps
from agent.rules.notify import message_for, retry_delay_s

log = get_logger(__name__)


def deliver_due(deps: Deps, channels: Channels) -> int:
    """Send what is due; returns how many rows were sent."""
    settings, now = deps.settings, deps.now()
    with deps.store() as store:
        claimed = store.claim_notifications(
            now=now, limit=settings.notify_batch_size, lease_s=settings.notify_lease_s
        )
    if not claimed:
        return 0
    crashpoint(CrashPoint.AFTER_NOTIFY_CLAIM, settings.crash_at)
    sent = 0
    for channel, messages in batches(claimed).items():
        for position, (message, rows) in enumerate(messages):
            if not _still_ours(deps, settings, rows):
                continue  # its lease lapsed and another sender took it over: that one sends it
            try:
                channels.send(channel, message)
            except ChannelFailed as failure:
                _failed(
                    deps,
                    settings,
                    channel,
                    rows,
                    failure,
                    [r for _, later in messages[position + 1 :] for r in later],
                )
                break
            crashpoint(CrashPoint.AFTER_NOTIFY_SEND, settings.crash_at)
            with deps.store() as store:
                store.mark_notifications_sent(ids=message.notification_ids, now=deps.now())
            sent += len(rows)
            log.info("notification_sent", channel=channel, ids=list(message.notification_ids))
    return sent


def _still_ours(deps: Deps, settings: Settings, rows: Sequence[Outgoing]) -> bool:
    """Renew the claim right before the send, so the lease only ever has to cover one send, however long
    the batch before it took (a fence: a sender whose lease lapsed finds it taken and sends nothing)."""
    until = deps.now() + timedelta(seconds=settings.notify_lease_s)
    with deps.store() as store:
        return store.renew_notification_lease(
            ids=[row.id for row in rows], held_until=rows[0].lease_until, until=until
        )


def batches(claimed: Sequence[Outgoing]) -> dict[str, list[tuple[Message, list[Outgoing]]]]:
    """Per channel, in id order: each immediate row is its own message; a channel's digest rows are one."""
    per_channel: dict[str, list[Outgoing]] = {}
    for row in claimed:
        per_channel.setdefault(row.channel, []).append(row)
    grouped: dict[str, list[tuple[Message, list[Outgoing]]]] = {}
    for channel, rows in per_channel.items():
        messages = [(message_for(channel, [row]), [row]) for row in rows if not row.digest]
        digest = [row for row in rows if row.digest]
        if digest:
            messages.append((message_for(channel, digest), digest))
        grouped[channel] = messages
    return grouped


def _failed(
    deps: Deps,
    settings: Settings,
    channel: str,
    rows: Sequence[Outgoing],
    failure: ChannelFailed,
    waiting: Sequence[Outgoing],
) -> None:
    """Back off the failed rows (or give them up), and hold the channel's other claimed rows until then."""
    attempts = max(row.attempts for row in rows)
    error = str(failure)
    retry_at: datetime = deps.now() + timedelta(
        seconds=retry_delay_s(
            attempts, base_s=settings.notify_retry_base_s, max_s=settings.notify_retry_max_s
        )
    )
    ids = [row.id for row in rows]
    with deps.store() as store:
        if failure.permanent or attempts >= settings.notify_max_attempts:
            store.give_up_notifications(ids=ids, error=error)
            log.error("notification_given_up", channel=channel, ids=ids, attempts=attempts, error=error)
        else:
            store.reschedule_notifications(ids=ids, at=retry_at, error=error, give_back_attempt=False)
            log.warning("notification_failed", channel=channel, ids=ids, attempts=attempts, error=error)
        if waiting:
            store.reschedule_notifications(
                ids=[row.id for row in waiting], at=retry_at, error=None, give_back_attempt=True
            )
