"""What arrives from outside and what goes out: the webhook inbox, health signals, the notification outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from agent.domain.vocabulary import (
    InboxOutcome,
    NotificationStatus,
    NotifyEvent,
)
from agent.store.models.base import Base, Id, Json, UTCDateTime, in_enum


class WebhookEvent(Base):
    """The durable inbox of Layers webhook deliveries: committed before the 2xx, processed off the request
    path. One row per event id, so a redelivered event is stored once (CONTRACT §23.2-23.3)."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_received", "received_at"),
        # what the worker claims: the unprocessed rows, oldest first
        Index("ix_webhook_events_unprocessed", "id", postgresql_where=text("processed_at IS NULL")),
        CheckConstraint(in_enum("outcome", InboxOutcome), name="outcome"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    # A claim is a lease, not a lock held across Layers calls; a retry waits for it to lapse.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))


class HealthSignal(Base):
    """A health signal (`agent.rules.health`) while it is crossed: opened once, cleared once (issue 14).

    At most one open row per customer and signal (a partial unique index), so the periodic evaluation
    opens and clears each signal exactly once however often it runs, and an open signal is never re-sent.
    """

    __tablename__ = "health_signals"
    __table_args__ = (
        Index(
            "uq_health_signals_open",
            "customer_id",
            "signal",
            unique=True,
            postgresql_where=text("cleared_at IS NULL"),
            sqlite_where=text("cleared_at IS NULL"),
        ),
        Index("ix_health_signals_opened", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """The notification outbox (issue 14): one row per event and channel, written in the transaction of the
    decision (or signal) that caused it, sent by the beat-driven sender, never sent again once marked.

    `channel` is the channel's NAME from NOTIFY_URLS: the URL itself (a secret) is never stored.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_key", "channel", name="uq_notifications_event_channel"),
        CheckConstraint(in_enum("event", NotifyEvent), name="event"),
        CheckConstraint(in_enum("status", NotificationStatus), name="status"),
        # what the sender claims: the unsent rows that are due
        Index("ix_notifications_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_notifications_decision", "decision_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("health_signals.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # when it is due: now, the next retry after a failure, or the channel's next digest
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # a claim is a lease: a sender that died mid-send leaves the row to be claimed again once it lapses
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
