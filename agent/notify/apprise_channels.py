"""The notification channels on Apprise (issue 14): one named Apprise URL per channel (Slack, Teams, e-mail,
JSON webhooks, …), the `agent.loops.ports.Channels` port in production.

Every message carries its rows' ids and idempotency key: in the text, and as `X-Idempotency-Key` /
`X-Notification-Ids` headers wherever the channel takes headers (JSON/XML/form webhooks, e-mail); JSON
webhooks also get them as payload fields. The URLs are secrets: Apprise's own log lines are kept out of the
agent's logs, and what a failure reports is scrubbed of every part of the URL but its host.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import apprise
from apprise import NotifyFormat
from pydantic import SecretStr

from agent.config import Settings
from agent.domain.notifications import ChannelFailed, Message

ANY_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
TOKEN = re.compile(r"[^/:@?&=#,;+]+")
MIN_SECRET_TOKEN = 3


class _ThreadLines(logging.Handler):
    """Collects Apprise's warnings per thread, so a failure can say why without Apprise logging a URL."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append(record.getMessage())


_COLLECTOR = _ThreadLines()


# Apprise, and urllib3 under its HTTP plugins (the Layers client uses httpx, not urllib3), log request
# URLs: a webhook's path is its secret. Their lines never reach the agent's logs.
QUIET_LOGGERS = ("apprise", "urllib3")


def _quiet_apprise() -> None:
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.setLevel(logging.WARNING)
        if _COLLECTOR not in logger.handlers:
            logger.addHandler(_COLLECTOR)


def scrub(text: str, url: str) -> str:
    """`text` without any URL and without any part of `url` except its host (user, password, tokens)."""
    host = urlsplit(url).hostname or ""
    text = ANY_URL.sub("<url>", text)
    for token in sorted(set(TOKEN.findall(url.split("://", 1)[-1])), key=len, reverse=True):
        if len(token) >= MIN_SECRET_TOKEN and token != host:
            text = text.replace(token, "***")
    return text


def _plugin(url: str) -> Any:
    with warnings.catch_warnings():
        # Apprise's e-mail plugin loads a shim of the stdlib's deprecated `imghdr` on first use
        warnings.filterwarnings("ignore", message="'imghdr' is deprecated", category=DeprecationWarning)
        return apprise.Apprise.instantiate(url)


class AppriseChannels:
    """Sends a message to one named channel, or raises ChannelFailed."""

    def __init__(self, urls: Mapping[str, SecretStr]) -> None:
        self._urls = dict(urls)
        _quiet_apprise()
        for url in self._urls.values():
            # Apprise loads its plugins on first use, which can take seconds: done here, before the sender
            # claims anything, so a send takes only as long as the send.
            _plugin(url.get_secret_value())

    @classmethod
    def from_settings(cls, settings: Settings) -> AppriseChannels:
        return cls(settings.notify_channels())

    def __repr__(self) -> str:
        return f"AppriseChannels({sorted(self._urls)})"

    def send(self, channel: str, message: Message) -> None:
        secret = self._urls.get(channel)
        if secret is None:
            raise ChannelFailed(f"channel {channel!r} is no longer in NOTIFY_URLS", permanent=True)
        url = secret.get_secret_value()
        plugin = _plugin(url)
        if plugin is None:
            raise ChannelFailed(f"channel {channel!r}: Apprise cannot send to its URL", permanent=True)
        ids = ",".join(str(i) for i in message.notification_ids)
        plugin.notify_format = NotifyFormat.TEXT  # plain words, never markup a receiver would render
        headers = getattr(plugin, "headers", None)
        if isinstance(headers, dict):
            headers.update({"X-Idempotency-Key": message.idempotency_key, "X-Notification-Ids": ids})
        extras = getattr(plugin, "payload_extras", None)
        if isinstance(extras, dict):
            extras.update({"idempotency_key": message.idempotency_key, "notification_ids": ids})
        _COLLECTOR.local.lines = []
        try:
            delivered = plugin.notify(body=message.body, title=message.title, body_format=NotifyFormat.TEXT)
            said = " ".join(_COLLECTOR.local.lines)
        finally:
            _COLLECTOR.local.lines = None
        if not delivered:
            raise ChannelFailed(
                f"channel {channel!r} did not take it: {scrub(said, url) or 'no reason given'}"
            )
