"""The one id codec: which prefix each kind of id carries, minting, and the "prefix optional" rule.

Records keep bare UUIDs/ULIDs; every id the API emits goes through `encode`, and every id it reads
(path parameters, bodies, filters) through `decode`, which accepts the prefixed and the bare form
(contract §2).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from typing import Literal, overload

Kind = Literal[
    "organization",
    "project",
    "post",
    "ads_content",
    "container",
    "recommendation",
    "job",
    "asset",
    "media",
    "request",
    "api_key",
    "social_account",  # publish and learn (issue 15)
    "scheduled_post",
]
PREFIXES: dict[Kind, str] = {
    "organization": "org",
    "project": "prj",
    "post": "pp",
    "ads_content": "adc",
    "container": "cnt",
    "recommendation": "rec",
    "job": "job",
    "asset": "ast",
    "media": "med",
    "request": "req",
    "api_key": "key",
    "social_account": "sa",
    "scheduled_post": "sp",
}
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UUID_RE = re.compile(rf"^{UUID_PATTERN}$")
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")
_ANY_PREFIX_RE = re.compile(r"^([a-z]+)_(.+)$")
_KNOWN_PREFIXES = frozenset(PREFIXES.values())


@overload
def encode(kind: Kind, value: str) -> str: ...
@overload
def encode(kind: Kind, value: None) -> None: ...
@overload
def encode(kind: Kind, value: str | None) -> str | None: ...
def encode(kind: Kind, value: str | None) -> str | None:
    """The API spelling of a bare id (None stays None, for optional references)."""
    return None if value is None else f"{PREFIXES[kind]}_{value}"


def decode(kind: Kind, raw: str) -> str:
    """The bare, canonically cased id behind `raw`, prefixed or not; a wrong prefix is kept so lookups miss."""
    prefix = PREFIXES[kind] + "_"
    return _canonical(raw[len(prefix) :] if raw.startswith(prefix) else raw)


def decode_uuid(kind: Kind, raw: str) -> str | None:
    """`decode` for ids that must be UUIDs (client-minted ones); None when `raw` is not one."""
    value = decode(kind, raw)
    return value if is_uuid(value) else None


def normalise(kind: Kind, raw: str) -> str:
    """The prefixed spelling of whatever form the client sent."""
    return encode(kind, decode(kind, raw))


def comparison_key(raw: str) -> str:
    """The same key for both spellings of an id of any kind (witness filters do not know the kind)."""
    found = _ANY_PREFIX_RE.match(raw)
    if found and found[1] in _KNOWN_PREFIXES and (is_uuid(found[2]) or ULID_RE.match(found[2])):
        return _canonical(found[2])
    return _canonical(raw)


def _canonical(value: str) -> str:
    if is_uuid(value):
        return value.lower()
    if ULID_RE.match(value):
        return value.upper()
    return value


def is_uuid(value: str) -> bool:
    return bool(UUID_RE.match(value))


def ulid() -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits, Crockford base32."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_uuid() -> str:
    return str(uuid.uuid4())


def derived_uuid(*parts: str) -> str:
    """A stable UUID from stable inputs, so replays and reloads mint the same ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "layers-sandbox:" + ":".join(parts)))
