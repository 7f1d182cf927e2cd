"""Identifier minting and the "prefix optional" rule every path parameter follows (contract §2)."""

from __future__ import annotations

import os
import re
import time
import uuid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")
GENERIC_PREFIX_RE = re.compile(r"^[a-z]+_(?=.)")


def ulid() -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits, Crockford base32."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def request_id() -> str:
    return f"req_{ulid()}"


def job_id() -> str:
    return f"job_{ulid()}"


def asset_id() -> str:
    return f"ast_{ulid()}"


def new_uuid() -> str:
    return str(uuid.uuid4())


def derived_uuid(*parts: str) -> str:
    """A stable UUID from stable inputs, so replays and reloads mint the same ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "layers-sandbox:" + ":".join(parts)))


def is_uuid(value: str) -> bool:
    return bool(UUID_RE.match(value))


def bare(value: str, prefix: str) -> str:
    """Strip `<prefix>_` when present and canonicalise case; a wrong prefix is kept so lookups miss."""
    if value.startswith(prefix + "_"):
        value = value[len(prefix) + 1 :]
    if is_uuid(value):
        return value.lower()
    if ULID_RE.match(value):
        return value.upper()
    return value


def strip_any_prefix(value: str) -> str:
    """Comparison key for witness filters, where the caller may pass either spelling of an id."""
    rest = GENERIC_PREFIX_RE.sub("", value, count=1)
    return bare(rest, "") if (is_uuid(rest) or ULID_RE.match(rest)) else value
