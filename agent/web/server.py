"""`agent web`: the decision log served by uvicorn, as the read-only ops role.

It refuses to start without WEB_BASIC_AUTH unless it listens on 127.0.0.1 only, and without
OPS_DATABASE_URL unless the agent's own database is the demo's SQLite file (opened read-only).
"""

from __future__ import annotations

import socket

import uvicorn

from agent.config import ConfigError, Settings
from agent.logging import get_logger
from agent.services import utc_now
from agent.store.readonly import ReadOnlyDatabase
from agent.web.app import create_app

log = get_logger(__name__)
LOOPBACK = "127.0.0.1"


def check(settings: Settings, host: str) -> str:
    """The database URL the web reads, or a ConfigError that says which setting is missing."""
    if settings.web_basic_auth is None and host != LOOPBACK:
        raise ConfigError(
            f"WEB_BASIC_AUTH is not set: without it the web log only listens on {LOOPBACK} (not {host})"
        )
    if settings.ops_database_url is not None:
        return settings.ops_database_url.get_secret_value()
    if settings.database_url.startswith("sqlite"):
        return settings.database_url
    raise ConfigError(
        "OPS_DATABASE_URL is not set: the web log connects as the read-only ops role "
        "(a login in agent_ops, see `agent ops-role`)"
    )


def serve(settings: Settings, listener: socket.socket) -> None:
    """Serve on `listener` (bound by the caller, so a busy port is reported first) until SIGINT/SIGTERM."""
    host, port = listener.getsockname()[:2]
    db = ReadOnlyDatabase.from_url(check(settings, host))
    log.info("web.listening", host=host, port=port, auth=settings.web_basic_auth is not None)
    config = uvicorn.Config(
        create_app(db, settings, now=utc_now), log_config=None, access_log=False, lifespan="off"
    )
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        db.dispose()
