"""Scheduled posts: the posts Layers scheduled for a publication, followed until each ends (issue 15).

The poll's schedule lives here, like a job's: claimed with SKIP LOCKED and a lease, so concurrent ticks skip
each other's rows and a dead tick's rows come back. An ended post never changes again, whichever of a poll
or a webhook reported it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agent.domain.publishing import POST_ENDED, FollowedPost, PostChange, PostState, PostStatus
from agent.store.dialect import insert
from agent.store.models import Publication
from agent.store.models import ScheduledPost as Row

FOLLOWED = (PostStatus.QUEUED, PostStatus.PUBLISHING)


def follow(
    session: Session,
    *,
    publication_id: int,
    posts: Sequence[PostState],
    now: datetime,
    first_poll_at: datetime,
) -> int:
    """Start following the posts of a schedule (a replayed answer names the same posts: no-op)."""
    customer_id = session.get_one(Publication, publication_id).customer_id
    added = 0
    for post in posts:
        inserted = session.execute(
            insert(session, Row)
            .values(
                publication_id=publication_id,
                customer_id=customer_id,
                scheduled_post_id=post.scheduled_post_id,
                status=post.status,
                social_account_id=post.social_account_id,
                platform=post.platform,
                scheduled_for=post.scheduled_for,
                next_poll_at=first_poll_at,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["scheduled_post_id"])
            .returning(Row.id)
        ).first()
        added += inserted is not None
    return added


def _followed(row: Row, publication: Publication) -> FollowedPost:
    return FollowedPost(
        id=row.id,
        scheduled_post_id=row.scheduled_post_id,
        publication_id=row.publication_id,
        customer_id=row.customer_id,
        container_id=publication.container_id,
        status=PostStatus(row.status),
        scheduled_for=row.scheduled_for,
        parent_decision_id=publication.schedule_decision_id,
    )


def claim_due(session: Session, *, now: datetime, limit: int, lease_s: float) -> list[FollowedPost]:
    """Lease the posts whose next poll is due."""
    found = session.execute(
        select(Row, Publication)
        .join(Publication, Publication.id == Row.publication_id)
        .where(
            Row.status.in_(FOLLOWED),
            Row.next_poll_at <= now,
            or_(Row.lease_until.is_(None), Row.lease_until < now),
        )
        .order_by(Row.next_poll_at, Row.id)
        .limit(limit)
        .with_for_update(of=Row, skip_locked=True)
    ).all()
    for row, _ in found:
        row.lease_until = now + timedelta(seconds=lease_s)
    return [_followed(row, publication) for row, publication in found]


def update(session: Session, *, state: PostState, now: datetime, next_poll_at: datetime) -> PostChange | None:
    """Apply what Layers says of a post; None when the agent does not follow it."""
    found = session.execute(
        select(Row, Publication)
        .join(Publication, Publication.id == Row.publication_id)
        .where(Row.scheduled_post_id == state.scheduled_post_id)
        .with_for_update(of=Row)
    ).first()
    if found is None:
        return None
    row, publication = found
    ended_now = row.status not in POST_ENDED and state.status in POST_ENDED
    if row.status not in POST_ENDED:
        row.status = state.status
        row.polls += 1
        row.lease_until = None
        row.next_poll_at = next_poll_at
        for name in ("social_account_id", "platform", "scheduled_for", "external_id", "external_url"):
            if getattr(state, name) is not None:
                setattr(row, name, getattr(state, name))
        if ended_now:
            row.ended_at = now
            row.published_at = state.published_at or (now if state.status is PostStatus.PUBLISHED else None)
            row.error_code, row.error_message = state.error_code, state.error_message
    session.flush()
    statuses = session.scalars(select(Row.status).where(Row.publication_id == row.publication_id)).all()
    return PostChange(
        post=_followed(row, publication),
        ended_now=ended_now,
        publication_posts=tuple(PostStatus(status) for status in statuses),
    )
