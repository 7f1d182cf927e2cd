"""NOTIFY_URLS, read into named channels: `name=url` entries separated by spaces, new lines or commas.

A bare URL gets a name derived from a hash of it (`url-1a2b3c4d`), so that the outbox can refer to the
channel without ever storing the URL, which holds the channel's credentials.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import time

from pydantic import BaseModel, ConfigDict, SecretStr

from agent.domain.vocabulary import NotifyEvent
from agent.rules.notify import Route

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Entries split on whitespace, and on a comma only where the next entry starts (Apprise URLs may hold
# commas themselves, e.g. a list of e-mail recipients).
ENTRY_BREAK = re.compile(r"\s+|,(?=\s*(?:[A-Za-z0-9_.-]+=)?[A-Za-z][A-Za-z0-9+.-]*://)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


class ChannelSpecError(ValueError):
    """A malformed NOTIFY_URLS entry; the message never repeats the entry (it may hold a secret)."""


def parse_channels(value: SecretStr) -> dict[str, SecretStr]:
    channels: dict[str, SecretStr] = {}
    for position, entry in enumerate(
        (e for e in ENTRY_BREAK.split(value.get_secret_value()) if e.strip()), start=1
    ):
        name, url = _split(entry.strip(), position)
        if name in channels:
            raise ChannelSpecError(f"entry {position}: the channel name {name!r} is used twice")
        channels[name] = SecretStr(url)
    return channels


def _split(entry: str, position: int) -> tuple[str, str]:
    head, sep, rest = entry.partition("=")
    if sep and "://" not in head:
        if not NAME.fullmatch(head):
            raise ChannelSpecError(
                f"entry {position}: a channel name is 1-64 letters, digits, '.', '_' or '-'"
            )
        name, url = head, rest
    else:
        url = entry
        name = "url-" + hashlib.sha256(url.encode()).hexdigest()[:8]
    if not SCHEME.fullmatch(url):
        raise ChannelSpecError(f"entry {position}: expected name=scheme://… (an Apprise URL)")
    return name, url


class NotifyRoute(BaseModel):
    """One channel's route in NOTIFY_ROUTES (JSON): `{"ops": {"events": ["run_failed"], "customers":
    ["acme-coffee"], "digest_at": "08:00"}}`. A channel without a route gets every event at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: list[NotifyEvent] | None = None
    customers: list[str] | None = None
    digest_at: time | None = None


def build_routes(channels: Iterable[str], routes: Mapping[str, NotifyRoute]) -> tuple[Route, ...]:
    """Every configured channel's route, in NOTIFY_URLS order; names a route for an unknown channel."""
    names = list(channels)
    unknown = sorted(set(routes) - set(names))
    if unknown:
        raise ChannelSpecError(f"NOTIFY_ROUTES names channels NOTIFY_URLS does not define: {unknown}")
    built = []
    for name in names:
        spec = routes.get(name, NotifyRoute())
        built.append(
            Route(
                channel=name,
                events=None if spec.events is None else frozenset(spec.events),
                customers=None if spec.customers is None else frozenset(spec.customers),
                digest_at=spec.digest_at,
            )
        )
    return tuple(built)
