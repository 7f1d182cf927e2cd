"""Organic snapshots: one row per customer and day, so `agent health` can see a falling trend."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from agent.rules.optimization import PoolSnapshot
from agent.store.dialect import insert
from agent.store.models import OrganicSnapshot


def save(session: Session, *, customer_id: int, day: date, snapshot: PoolSnapshot) -> None:
    """Keep the first snapshot of the day (a resumed run does not overwrite it)."""
    session.execute(
        insert(session, OrganicSnapshot)
        .values(
            customer_id=customer_id,
            snapshot_date=day,
            average_organic_score=snapshot.average_organic_score,
            scored_items=snapshot.scored_items,
            posts_published_14d=snapshot.posts_published_recently,
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "snapshot_date"])
    )
