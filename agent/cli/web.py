"""`agent web`: serve the read-only web decision log."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from agent.cli import context
from agent.config import ConfigError


def web(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 needs WEB_BASIC_AUTH)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """Serve the fleet, timelines, decisions, clone lineage, proposals, health and runs until SIGINT."""
    from agent.web.server import check, serve

    settings = context.settings()
    try:
        check(settings, host)
    except ConfigError as exc:
        raise context.fail(str(exc), context.EXIT_BAD_INPUT) from None
    try:
        listener = socket.create_server((host, port))
    except OSError as exc:
        raise context.fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 2) from None
    serve(settings, listener)
