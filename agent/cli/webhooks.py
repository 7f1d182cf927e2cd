"""`agent webhooks`: serve the webhook receiver; `register` the endpoint at Layers; `rotate` its secret.

The signing secret is printed to stdout once, when Layers hands it out, and never logged.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from agent.cli import context
from agent.cli.exits import BadInput
from agent.layers import errors
from agent.layers.client import LayersClient
from agent.webhooks import registration

app = typer.Typer(
    help="The webhook receiver (serves when no command is given), and its registration at Layers.",
    invoke_without_command=True,
    add_completion=False,
)


@app.callback()
def webhooks(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 in a container)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8090,
) -> None:
    """Serve POST /webhooks/layers and GET /healthz until SIGINT or SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    settings = context.settings()
    settings.webhook_secrets()  # a ConfigError (exit 2) before anything starts
    try:
        listener = socket.create_server((host, port))
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    from agent.webhooks.server import serve

    serve(settings, listener)


@app.command("register")
def register(
    url: Annotated[str, typer.Option(help="The receiver's public URL, ending in /webhooks/layers")],
    description: Annotated[str | None, typer.Option(help="A label shown at Layers")] = None,
) -> None:
    """Register the receiver at Layers for the events the agent handles (running it twice is safe)."""
    with _client() as client:
        done = registration.register(client, url, description=description)
    endpoint = done.endpoint
    typer.echo(f"webhook endpoint {endpoint.id} for {endpoint.url}")
    typer.echo(f"  events: {', '.join(endpoint.events)}")
    missing = sorted(set(registration.handled_events()) - set(endpoint.events))
    if missing:
        typer.echo(f"  not subscribed to {', '.join(missing)}: add them to the endpoint at Layers")
    if done.signing_secret is None:
        typer.echo(
            "already registered: its signing secret was shown when it was created. Lost it? "
            f"`agent webhooks rotate {endpoint.id}` prints a new one."
        )
        return
    secret = done.signing_secret.get_secret_value()
    typer.echo("")
    typer.echo("Signing secret (shown this once; store it now). Set it where `agent webhooks` runs:")
    typer.echo(f"  LAYERS_WEBHOOK_SECRETS={secret}")
    typer.echo(
        f"To rotate: `agent webhooks rotate {endpoint.id}`. Layers signs with both secrets for 24 h: set "
        "LAYERS_WEBHOOK_SECRETS=<new>,<old> for the overlap, then <new> alone."
    )


@app.command("rotate")
def rotate(endpoint_id: Annotated[str, typer.Argument(help="The endpoint id `register` printed")]) -> None:
    """Ask Layers for a new signing secret; the previous one keeps working for 24 hours."""
    with _client() as client:
        rotated = registration.rotate(client, endpoint_id)
    expires = rotated.previous_secret_expires_at
    until = f" until {expires:%Y-%m-%d %H:%M} UTC" if expires else " for 24 h"
    typer.echo(f"new signing secret for endpoint {rotated.endpoint_id} (shown this once):")
    typer.echo(f"  {rotated.signing_secret.get_secret_value()}")
    typer.echo(
        f"The previous secret still signs{until}. Set LAYERS_WEBHOOK_SECRETS=<new>,<previous> now and "
        "restart `agent webhooks`; once the overlap ends, keep <new> alone."
    )


@contextmanager
def _client() -> Iterator[LayersClient]:
    """The Layers client. A URL or an endpoint id Layers refuses is bad input (exit 2); every other failure
    is the CLI's one line and exit code (75 when Layers is down or busy: try again later)."""
    client = LayersClient.from_settings(context.settings())
    try:
        yield client
    except errors.ValidationFailed as exc:
        raise BadInput(f"Layers refused it: {exc}") from None
    except errors.NotFound as exc:
        raise BadInput(f"Layers does not know it: {exc}") from None
    finally:
        client.close()
