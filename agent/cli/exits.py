"""What an operational failure means to the person at the terminal: one line and an exit code.

Exit codes: 0 success, 1 the work failed, 2 usage or configuration (fix the command or the settings),
75 temporary (EX_TEMPFAIL: a server is down or busy, try again). Only failures recognised here are turned
into a line; anything else is a programming error and keeps its traceback. The library modules a failure
can come from are looked up in `sys.modules`, so classifying never imports SQLAlchemy or httpx.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import typer
from typer import _click as click

from agent.domain.redaction import redact_text

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TEMPORARY = 75


class BadInput(Exception):
    """What the operator typed cannot be used (an unknown filter value, a window, a file): exit 2."""


class Temporary(Exception):
    """Something needed is down or busy right now; the same command may succeed later: exit 75."""


@dataclass(frozen=True)
class Failure:
    message: str
    code: int


def report(failure: Failure) -> int:
    """Print the failure as one line on stderr; returns its exit code."""
    typer.echo(f"error: {' '.join(redact_text(failure.message).split())}", err=True)
    return failure.code


def usage_failure(exc: click.ClickException) -> Failure:
    """A bad flag, a missing argument or a refused value, with where to read the usage."""
    message = exc.format_message().rstrip(".")
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.exceptions.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return Failure(message, EXIT_USAGE if isinstance(exc, click.exceptions.UsageError) else exc.exit_code)


def classify(exc: BaseException) -> Failure | None:
    """The one line and exit code of an operational failure; None for a programming error."""
    if isinstance(exc, BadInput):
        return Failure(str(exc), EXIT_USAGE)
    if isinstance(exc, Temporary):
        return Failure(str(exc), EXIT_TEMPORARY)
    for rule in (_agent, _database, _layers, _redis):
        failure = rule(exc)
        if failure is not None:
            return failure
    return None


def _module(name: str) -> Any:
    return sys.modules.get(name)


def _agent(exc: BaseException) -> Failure | None:
    config, customers = _module("agent.config"), _module("agent.store.customers")
    if config is not None and isinstance(exc, config.ConfigError):
        return Failure(str(exc), EXIT_USAGE)
    if customers is not None and isinstance(exc, customers.CustomerNotFound):
        return Failure(str(exc), EXIT_USAGE)
    if customers is not None and isinstance(exc, customers.CustomerExists):
        return Failure(str(exc), EXIT_FAILED)
    return None


# What the database drivers say, and what the operator should do about it.
_DB_TEMPORARY = ("connection refused", "could not connect", "timeout expired", "database is locked",
                 "the database system is starting up", "server closed the connection", "no route to host",
                 "could not translate host name", "name or service not known")  # fmt: skip
_DB_LOGIN = ("password authentication failed", "authentication failed", "no password supplied")
_DB_NO_SCHEMA = ("no such table", "does not exist")


def _database(exc: BaseException) -> Failure | None:
    sa_exc = _module("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.DBAPIError | sa_exc.ArgumentError):
        return None
    if isinstance(exc, sa_exc.ArgumentError):
        return Failure(f"DATABASE_URL cannot be used: {exc}", EXIT_USAGE)
    where = _database_name()
    cause = str(exc.orig if exc.orig is not None else exc).strip()
    text, lowered = (cause.splitlines() or [""])[0], cause.lower()
    if any(sign in lowered for sign in _DB_LOGIN) or ("role" in lowered and "does not exist" in lowered):
        return Failure(f"the database at {where} refused the login ({text}): check DATABASE_URL", EXIT_USAGE)
    if "database" in lowered and "does not exist" in lowered and "relation" not in lowered:
        return Failure(f"{text} at {where}: create it, or check DATABASE_URL", EXIT_USAGE)
    if any(sign in lowered for sign in _DB_TEMPORARY):
        return Failure(
            f"cannot reach the database at {where} ({text}): is it running? Try again later", EXIT_TEMPORARY
        )
    if any(sign in lowered for sign in _DB_NO_SCHEMA) and ("relation" in lowered or "table" in lowered):
        return Failure(
            f"the database at {where} has no schema for this version ({text}): run 'agent migrate'",
            EXIT_USAGE,
        )
    if "permission denied" in lowered or "must be owner" in lowered:
        return Failure(
            f"the database at {where} refused a privilege ({text}): reading needs the ops role's grants "
            "(run 'agent migrate' as the owner); migrating needs the tables' owner, and CREATEROLE until the "
            "ops role exists (a DBA can run `agent ops-role --print-sql` first)",
            EXIT_USAGE,
        )
    if "unable to open database file" in lowered:
        return Failure(f"cannot open the database file {where}: check DATABASE_URL", EXIT_USAGE)
    return None


def _database_name() -> str:
    """The configured database without its password (host and port, or the SQLite file)."""
    url = _configured("database_url") or "the configured database"
    if url.startswith("sqlite"):
        return url.split("///", 1)[-1] or url
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}"


def _configured(name: str) -> str | None:
    """A setting, when the settings were read already (a failure to read them is reported elsewhere)."""
    config = _module("agent.config")
    if config is None:
        return None
    try:
        return str(getattr(config.get_settings(), name))
    except config.ConfigError:
        return None


def _layers(exc: BaseException) -> Failure | None:
    layers = _module("agent.layers.errors")
    if layers is None or not isinstance(exc, layers.LayersError):
        return None
    host = urlsplit(_configured("layers_base_url") or "").netloc or "the Layers API"
    if isinstance(exc, layers.LayersConnectionError):
        cause = exc.__cause__ or exc
        return Failure(
            f"cannot reach Layers at {host} ({type(cause).__name__}: {cause}): check LAYERS_BASE_URL, "
            "or try again later",
            EXIT_TEMPORARY,
        )
    if isinstance(exc, layers.Unauthenticated | layers.Forbidden):
        return Failure(f"Layers at {host} refused the API key ({exc}): check LAYERS_API_KEY", EXIT_USAGE)
    if isinstance(exc, layers.RateLimited | layers.ServerError | layers.QuotaExhausted):
        return Failure(f"Layers at {host} is busy ({exc}): try again later", EXIT_TEMPORARY)
    return Failure(f"Layers at {host} refused the request: {exc}", EXIT_FAILED)


def _redis(exc: BaseException) -> Failure | None:
    redis_exc = _module("redis.exceptions")
    if redis_exc is None or not isinstance(exc, redis_exc.ConnectionError | redis_exc.TimeoutError):
        return None
    return Failure(f"cannot reach Redis ({exc}): is it running? Try again later", EXIT_TEMPORARY)
