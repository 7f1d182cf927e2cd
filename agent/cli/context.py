"""What every command needs: settings read once, a console, and clean exits on bad input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from agent.config import ConfigError, Settings, get_settings
from agent.services import Services, build_services
from agent.store.customers import CustomerNotFound
from agent.store.db import Database

# Off a terminal (CI logs, pipes) tables get room instead of the 80-column fallback.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)

EXIT_BAD_INPUT = 2


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


@contextmanager
def database() -> Iterator[Database]:
    db = Database.from_url(settings().database_url)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def services() -> Iterator[Services]:
    try:
        built = build_services(settings())
    except ConfigError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        yield built
    finally:
        built.close()


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Known bad input becomes a one-line error and an exit code, not a traceback."""
    try:
        yield
    except (CustomerNotFound, ConfigError, ValueError) as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
