"""Whether an error means the database could not be reached (a restart, a failover, a network cut): the
worker retries such a task shortly instead of letting `acks_late` acknowledge its message away."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError


def database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
