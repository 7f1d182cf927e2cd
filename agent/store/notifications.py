"""The notification outbox (issue 14): one row per event and channel, inserted in the caller's transaction
(so a notification exists exactly when the decision that caused it does), claimed by the sender with a
lease (SKIP LOCKED), marked sent once, and never sent again after that."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from agent import explanations
from agent.domain.notifications import NewNotification, Outgoing
from agent.domain.vocabulary import NotificationStatus, NotifyEvent
from agent.store import decisions, reports
from agent.store.dialect import insert
from agent.store.models import Notification


def enqueue(session: Session, *, items: Sequence[NewNotification]) -> int:
    """Insert the rows not recorded yet; returns how many are new (a repeat of an event adds nothing)."""
    added = 0
    for item in items:
        statement = (
            insert(session, Notification)
            .values(
                event_key=item.event_key,
                channel=item.channel,
                event=item.event,
                customer_id=item.customer_id,
                decision_id=item.decision_id,
                signal_id=item.signal_id,
                title=item.title,
                body=item.body,
                link=item.link,
                digest=item.digest,
                due_at=item.due_at,
            )
            .on_conflict_do_nothing(index_elements=["event_key", "channel"])
            .returning(Notification.id)
        )
        added += session.execute(statement).scalar() is not None
    return added


def claim(session: Session, *, now: datetime, limit: int, lease_s: float) -> list[Outgoing]:
    """Lease the due, unsent rows, oldest first, counting the attempt; other senders skip them."""
    rows = session.scalars(
        select(Notification)
        .where(
            Notification.status == NotificationStatus.PENDING,
            Notification.due_at <= now,
            or_(Notification.lease_until.is_(None), Notification.lease_until < now),
        )
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    lease_until = now + timedelta(seconds=lease_s)
    for row in rows:
        row.lease_until = lease_until
        row.attempts += 1
        claimed.append(
            Outgoing(
                id=row.id,
                channel=row.channel,
                event=NotifyEvent(row.event),
                title=row.title,
                body=row.body,
                link=row.link,
                digest=row.digest,
                attempts=row.attempts,
                lease_until=lease_until,
            )
        )
    return claimed


def renew_lease(session: Session, *, ids: Sequence[int], held_until: datetime, until: datetime) -> bool:
    """Extend this sender's lease on the rows, if it still holds them all; False when a lease lapsed and
    another sender took a row over (it sends it; this one must not)."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id.in_(ids),
            Notification.status == NotificationStatus.PENDING,
            Notification.lease_until == held_until,
        )
        .values(lease_until=until)
        .returning(Notification.id)
    )
    return len(result.all()) == len(ids)


def mark_sent(session: Session, *, ids: Sequence[int], now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.SENT, sent_at=now, lease_until=None, last_error=None)
    )


def reschedule(
    session: Session, *, ids: Sequence[int], at: datetime, error: str | None, give_back_attempt: bool
) -> None:
    """Try again at `at`; an attempt given back was claimed but never tried (its channel was failing)."""
    values: dict[str, object] = {"due_at": at, "lease_until": None}
    if error is not None:
        values["last_error"] = error
    if give_back_attempt:
        values["attempts"] = Notification.attempts - 1
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == NotificationStatus.PENDING)
        .values(**values)
    )


def give_up(session: Session, *, ids: Sequence[int], error: str) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.GIVEN_UP, lease_until=None, last_error=error)
    )


def describe(session: Session, *, decision_id: int) -> list[str]:
    """The decision in plain words: the very sentences `agent explain` prints and the web page shows."""
    found = reports.explanation(session, decision_id=decision_id)
    return explanations.sentences(found, decisions.evidence_of(found.decision))
