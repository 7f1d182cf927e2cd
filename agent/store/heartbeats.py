"""When each periodic tick (the dispatcher, the sweeper) last ran to the end: beat's and the dispatcher's
pulse, read by `agent health` and the metrics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.store.dialect import insert
from agent.store.models import Heartbeat


def seen(session: Session, *, name: str, now: datetime) -> None:
    statement = insert(session, Heartbeat).values(name=name, seen_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"seen_at": now}))


def last_seen(session: Session) -> dict[str, datetime]:
    return dict(session.execute(select(Heartbeat.name, Heartbeat.seen_at)).tuples().all())
