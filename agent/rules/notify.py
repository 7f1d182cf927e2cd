"""Who is told what, and when (issue 14), as pure rules: which decisions are worth a notification, which
channels a route gives an event to, when a digest channel's next digest is due, how long a failing channel
waits before the next try, which health signals open or clear, and the words of each message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from agent.domain.notifications import Message, OpenSignal, Outgoing
from agent.domain.vocabulary import Action, NotifyEvent, Reason
from agent.rules.capacity import ZoneFinish
from agent.rules.health import SIGNAL_JOB_FAILURES, Signal

PRODUCT = "growth agent"

EVENT_TITLES: dict[NotifyEvent, str] = {
    NotifyEvent.PROPOSAL_WAITING: "a proposal waits for consent",
    NotifyEvent.SPEND_WITHOUT_CONVERSIONS: "an ad spent without a conversion",
    NotifyEvent.RUN_FAILED: "a run failed",
    NotifyEvent.ATTEMPTS_EXHAUSTED: "a run was given up after repeated failures",
    NotifyEvent.HEALTH_SIGNAL: "a health signal crossed its threshold",
    NotifyEvent.HEALTH_CLEARED: "a health signal cleared",
    NotifyEvent.JOB_FAILURE_SPIKE: "a spike of failed jobs",
    NotifyEvent.DAY_LATE: "today's last run will finish late",
}


@dataclass(frozen=True)
class Route:
    """Which events of which customers one channel gets, and whether at once or in a daily digest.

    `events` None = every event; `customers` None = every customer (matched by id, name, external id or
    Layers project id); `digest_at` None = each at once, else one digest a day at this UTC time.
    """

    channel: str
    events: frozenset[NotifyEvent] | None = None
    customers: frozenset[str] | None = None
    digest_at: time | None = None

    def takes(self, event: NotifyEvent, customer_keys: Iterable[str]) -> bool:
        if self.events is not None and event not in self.events:
            return False
        return self.customers is None or not self.customers.isdisjoint(customer_keys)


def event_for(action: Action, reason: Reason) -> NotifyEvent | None:
    """The notification a recorded decision causes, if any (called where proposals, flags and run failures
    are recorded; every other decision is told by the web log, not pushed)."""
    if action in (Action.PENDING_APPROVAL, Action.PENDING_SCHEDULE):
        return NotifyEvent.PROPOSAL_WAITING
    if action is Action.FLAG and reason is Reason.SPEND_WITHOUT_CONVERSIONS:
        return NotifyEvent.SPEND_WITHOUT_CONVERSIONS
    if action is Action.ERROR and reason is Reason.ATTEMPTS_EXHAUSTED:
        return NotifyEvent.ATTEMPTS_EXHAUSTED
    if action is Action.ERROR:
        return NotifyEvent.RUN_FAILED
    return None


def routes_for(event: NotifyEvent, customer_keys: Iterable[str], routes: Sequence[Route]) -> list[Route]:
    keys = frozenset(customer_keys)
    return [route for route in routes if route.takes(event, keys)]


def due_at(route: Route, now: datetime) -> datetime:
    """Now, or the channel's next digest time (today's when it is still ahead, else tomorrow's)."""
    if route.digest_at is None:
        return now
    today = now.astimezone(UTC).date()
    slot = datetime.combine(today, route.digest_at, tzinfo=UTC)
    return slot if slot > now else slot + timedelta(days=1)


def retry_delay_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Exponential backoff for a failing channel: base, 2x base, 4x base, … capped."""
    return float(min(max_s, base_s * 2 ** max(0, attempts - 1)))


def signal_event(signal: str) -> NotifyEvent:
    return NotifyEvent.JOB_FAILURE_SPIKE if signal == SIGNAL_JOB_FAILURES else NotifyEvent.HEALTH_SIGNAL


@dataclass(frozen=True)
class SignalChanges:
    opened: list[Signal]
    cleared: list[OpenSignal]


def signal_changes(firing: Sequence[Signal], open_now: Sequence[OpenSignal]) -> SignalChanges:
    """What a health evaluation changes: signals firing that are not open yet open, open signals no longer
    firing clear, and a signal still open changes nothing (the quiet rule: it is told once, not per tick).

    A signal is one per customer and name (several days over the job-failure threshold are one spike);
    the last detail of a name wins.
    """
    current: dict[tuple[int, str], Signal] = {}
    for signal in firing:
        current[(signal.customer_id, signal.signal)] = signal
    known = {(s.customer_id, s.signal) for s in open_now}
    return SignalChanges(
        opened=[s for key, s in current.items() if key not in known],
        cleared=[s for s in open_now if (s.customer_id, s.signal) not in current],
    )


def decision_title(event: NotifyEvent, customer: str, decision_id: int) -> str:
    return f"{customer}: {EVENT_TITLES[event]} (decision {decision_id})"


def signal_title(event: NotifyEvent, customer: str, signal: str) -> str:
    return f"{customer}: {EVENT_TITLES[event]} ({signal})"


def signal_body(event: NotifyEvent, customer: str, signal: str, detail: str) -> str:
    if event is NotifyEvent.HEALTH_CLEARED:
        return f"The {signal} signal for {customer} is no longer crossed (it was: {detail})."
    return f"The {signal} signal for {customer} crossed its threshold: {detail}."


def late_day_key(zone: ZoneFinish) -> str:
    """One notice per timezone and day: the watch sees the same late day every tick, and tells it once."""
    return f"day_late:{zone.timezone}:{zone.day_ends_at.astimezone(UTC):%Y-%m-%d}"


def late_day_title(zone: ZoneFinish) -> str:
    return f"{zone.timezone}: {EVENT_TITLES[NotifyEvent.DAY_LATE]}"


def late_day_body(zone: ZoneFinish) -> str:
    late_by = zone.finish_at - zone.day_ends_at
    return (
        f"At the quota's pace, the last run of today for the {zone.customers} customer(s) in {zone.timezone} "
        f"should end at {zone.finish_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {_duration(late_by)} after "
        f"their local midnight ({zone.day_ends_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC), when the next day's "
        "runs are due. `agent capacity` shows the figures: raise the tier's quota, or spread the customers' "
        "run times."
    )


def _duration(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def message_for(channel: str, rows: Sequence[Outgoing]) -> Message:
    """One row as itself, or a digest channel's rows as one message; either carries every row's id."""
    ids = tuple(row.id for row in rows)
    if len(rows) == 1 and not rows[0].digest:
        row = rows[0]
        return Message(ids, row.title, _with_footer(row.body, row.link, ids), idempotency_key(ids))
    lines = [f"{len(rows)} notification(s) since the last digest:", ""]
    for row in rows:
        lines.append(f"#{row.id} {row.title}")
        lines.append(row.body)
        if row.link:
            lines.append(row.link)
        lines.append("")
    title = f"{PRODUCT} digest for {channel}: {len(rows)} notification(s)"
    return Message(ids, title, _with_footer("\n".join(lines).rstrip(), None, ids), idempotency_key(ids))


def idempotency_key(ids: Sequence[int]) -> str:
    """Stable for the same rows: one row's key is its id; a digest's is a hash of its ids."""
    if len(ids) == 1:
        return f"notification-{ids[0]}"
    digest = hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()[:16]
    return f"notification-digest-{digest}"


def _with_footer(body: str, link: str | None, ids: Sequence[int]) -> str:
    parts = [body]
    if link:
        parts.append(f"Details: {link}")
    parts.append(f"Notification {', '.join(f'#{i}' for i in ids)} (id {idempotency_key(ids)}).")
    return "\n\n".join(parts)
