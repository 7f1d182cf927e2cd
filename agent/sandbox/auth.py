"""API keys: the only shape the sandbox accepts, and how a request presents one (contract §1.3)."""

from __future__ import annotations

import re

from agent.sandbox.errors import ApiError

API_KEY_RE = re.compile(r"^lp_test_[A-Za-z0-9]+_[A-Za-z0-9_-]+$")


def authenticate(headers: dict[str, str], allowed: frozenset[str]) -> tuple[str, str]:
    """(key, key id). `X-Api-Key` wins over `Authorization: Bearer` when both are sent."""
    key = headers.get("x-api-key", "").strip()
    if not key:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    if not key:
        raise ApiError(401, "UNAUTHENTICATED", "Missing API key: send Authorization: Bearer lp_test_...")
    if not API_KEY_RE.match(key) or (allowed and key not in allowed):
        raise ApiError(401, "UNAUTHENTICATED", "Invalid API key (the sandbox accepts lp_test_ keys only).")
    return key, key.split("_")[2]
