"""What every command needs: settings read once (with logging set up from them), Rich consoles made on first
use, the database (never created by a command that only reads), and one-line exits.

Nothing heavy is imported here at module level: `agent --help` must not pay for SQLAlchemy or httpx.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agent.cli.exits import EXIT_USAGE, BadInput, Failure, report

if TYPE_CHECKING:
    from rich.console import Console

    from agent.config import Settings
    from agent.services import Services
    from agent.store.db import Database, Session

EXIT_BAD_INPUT = EXIT_USAGE
# Off a terminal (CI logs, pipes) tables get room instead of the 80-column fallback, unless COLUMNS says.
PIPE_WIDTH = 160


def _make_console(*, stderr: bool) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=PIPE_WIDTH if piped else None)


def width() -> int:
    """The room for a table: COLUMNS when set, the terminal's width, or PIPE_WIDTH off a terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return os.get_terminal_size().columns
    return PIPE_WIDTH


if TYPE_CHECKING:
    console: Console  # stdout
    errors: Console  # stderr


def __getattr__(name: str) -> Any:
    """`context.console` and `context.errors`: Rich consoles, built on first use (Rich costs start-up time)."""
    if name not in ("console", "errors"):
        raise AttributeError(name)
    made = _make_console(stderr=name == "errors")
    globals()[name] = made
    return made


_logging_ready: list[bool] = []


def settings() -> Settings:
    """The settings, read once; the first read also sets up logging (warnings only at the INFO default)."""
    from agent.config import get_settings
    from agent.logging import configure_logging

    loaded = get_settings()
    if not _logging_ready:
        level = loaded.log_level if loaded.log_level != "INFO" else "WARNING"
        configure_logging(level, loaded.log_format)
        _logging_ready.append(True)
    return loaded


def logging_from_environment() -> None:
    """Logging for a command that reads no settings (the sandbox): LOG_LEVEL and LOG_FORMAT as given."""
    from agent.logging import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO").upper(), os.environ.get("LOG_FORMAT", "auto"))
    _logging_ready.append(True)


def forget_settings() -> None:
    """Read the settings again next time (tests change the environment between commands)."""
    from agent.config import get_settings

    get_settings.cache_clear()
    _logging_ready.clear()


def require_database_file(database_url: str) -> None:
    """A command that only reads must not create an empty SQLite file where none was."""
    if not database_url.startswith("sqlite"):
        return
    path = database_url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:" and not Path(path).exists():
        raise BadInput(
            f"no database at {path}: run 'agent migrate' to create it (or 'agent demo'), or set DATABASE_URL"
        )


@contextmanager
def database(*, read_only: bool = False) -> Iterator[Database]:
    """The configured database. A reading command gets read-only transactions that never select an
    idempotency key, so it works when connected as the read-only ops role (`OPS_ROLE`)."""
    from agent.store.db import Database
    from agent.store.readonly import ReadOnlyDatabase

    url = settings().database_url
    if read_only:
        require_database_file(url)
    db = ReadOnlyDatabase.from_url(url) if read_only else Database.from_url(url)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def reading() -> Iterator[Session]:
    """One read-only unit of work on the configured database (which must exist)."""
    with database(read_only=True) as db, db.session() as session:
        yield session


@contextmanager
def services() -> Iterator[Services]:
    from agent.services import build_services

    built = build_services(settings())
    try:
        yield built
    finally:
        built.close()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line; raise the returned Exit (`raise context.fail(...)`)."""
    return typer.Exit(report(Failure(message, code)))


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Kept for commands written before the boundary in `agent.cli.lazy`, which now maps every known
    operational failure (bad input included) to one line; this only documents intent at the call site."""
    yield
