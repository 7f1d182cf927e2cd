"""The plain records of the notification outbox (issue 14): what a decision or a signal asks to be told,
what the sender claims, and what one channel is handed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.domain.vocabulary import NotifyEvent


@dataclass(frozen=True)
class NewNotification:
    """One event for one channel, written in the transaction of the decision or signal that caused it.

    `(event_key, channel)` is unique: recording the same event again (a redelivered task, a second worker)
    adds nothing.
    """

    event_key: str
    channel: str
    event: NotifyEvent
    title: str
    body: str
    due_at: datetime
    digest: bool = False
    link: str | None = None
    customer_id: int | None = None
    decision_id: int | None = None
    signal_id: int | None = None


@dataclass(frozen=True)
class Outgoing:
    """A claimed, unsent notification row (its lease is held by this sender until `mark` or a retry)."""

    id: int
    channel: str
    event: NotifyEvent
    title: str
    body: str
    link: str | None
    digest: bool
    attempts: int
    lease_until: datetime  # this claim's lease: the sender renews it right before sending (a fence)


@dataclass(frozen=True)
class Message:
    """What one channel is handed: one row, or a channel's daily digest of several.

    It always carries the rows' stable ids, and an idempotency key derived from them, so a receiver can
    drop the one repeat a crash after the send and before the mark can cause.
    """

    notification_ids: tuple[int, ...]
    title: str
    body: str
    idempotency_key: str


class ChannelFailed(Exception):
    """A channel did not take a message. `permanent`: retrying cannot help (the channel is gone)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class OpenSignal:
    """A health signal that is open (crossed and not cleared yet)."""

    id: int
    customer_id: int
    signal: str
    detail: str
    opened_at: datetime
