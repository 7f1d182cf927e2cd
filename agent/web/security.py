"""HTTP basic auth compared in constant time, and the security headers every answer carries.

Both are plain ASGI middleware, so they wrap every route (the static file and the errors included).
"""

from __future__ import annotations

import base64
import binascii
import hmac

from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Server-rendered pages with one stylesheet: no script, no frame, no form posts anywhere else.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
OPEN_PATHS = frozenset({"/healthz"})  # the container healthcheck: says "ok", shows nothing


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class BasicAuth:
    """Refuses every request without the configured `user:password` (None = no auth: loopback only)."""

    def __init__(self, app: ASGIApp, credentials: SecretStr | None) -> None:
        self.app = app
        self._expected = credentials.get_secret_value().encode() if credentials is not None else None

    def __repr__(self) -> str:
        return f"BasicAuth(configured={self._expected is not None})"

    def allows(self, authorization: str | None) -> bool:
        if self._expected is None:
            return True
        scheme, _, encoded = (authorization or "").partition(" ")
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            given = b""
        # the whole `user:password` in one constant-time comparison: neither part leaks by timing
        return scheme.lower() == "basic" and hmac.compare_digest(given, self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self.allows(Headers(scope=scope).get("authorization")):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"www-authenticate", b'Basic realm="growth agent", charset="UTF-8"'),
                    (b"content-type", b"text/plain; charset=utf-8"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"authentication required\n"})
