"""The database the web decision log reads through (issue 14): read-only transactions, and no idempotency
key ever selected.

The web connects as the read-only ops role, which may not read idempotency keys: `hide_keys` keeps them out
of every ORM select of its sessions, so the shared reports (`reports.explanation`) work there unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, event
from sqlalchemy.orm import ORMExecuteState, Session, defer, sessionmaker

from agent.store.db import Database, make_engine
from agent.store.models import Base

# Every table with an idempotency key (clones, commissions, approvals, publications…): the ops role may
# not read that column, so no select of theirs names it.
KEYED = tuple(mapper.class_ for mapper in Base.registry.mappers if "idempotency_key" in mapper.columns)


def hide_keys(sessions: sessionmaker[Session]) -> None:
    """Leave the idempotency-key columns out of every ORM select made through `sessions`."""

    @event.listens_for(sessions, "do_orm_execute")
    def _without_keys(state: ORMExecuteState) -> None:
        statement = state.statement
        if state.is_select and isinstance(statement, Select):
            # whole entities only (`select(Clone)`, `session.get(Approval, …)`); a column select names its columns
            roots = {description.get("type") for description in statement.column_descriptions}
            hidden = [defer(model.idempotency_key, raiseload=True) for model in KEYED if model in roots]
            if hidden:
                state.statement = statement.options(*hidden)


class ReadOnlyDatabase(Database):
    """A database the web reads through: every transaction read-only, idempotency keys never selected.

    The grants of the ops role are the real boundary; this makes the web itself unable to write even when
    it is pointed at a stronger role (or at the demo's SQLite file).
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        hide_keys(self._sessions)

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            if engine.dialect.name == "postgresql":
                cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            else:
                cursor.execute("PRAGMA query_only = ON")
            cursor.close()
            if engine.dialect.name == "postgresql":
                dbapi_connection.commit()

    @classmethod
    def from_url(cls, database_url: str) -> ReadOnlyDatabase:
        return cls(make_engine(database_url))
