"""Layers ids come prefixed from some endpoints and bare from others (CONTRACT.md §2): compare them bare."""

from __future__ import annotations

import re
import uuid

PREFIXED = re.compile(r"^[a-z]{2,5}_(?P<bare>[0-9A-Za-z-]{20,})$")
CONTAINER_PREFIX = "cnt_"


def bare_id(value: str | None) -> str | None:
    """`pp_0000…` and `0000…` name the same post; anything not shaped like a prefixed id is kept as is."""
    if value is None:
        return None
    match = PREFIXED.match(value)
    return match["bare"] if match else value


def same_id(a: str | None, b: str | None) -> bool:
    """True when both name the same thing, prefixed or not (two unknowns are not the same)."""
    return a is not None and b is not None and bare_id(a) == bare_id(b)


def mint_container_id() -> str:
    """A fresh container id (`cnt_<uuid>`): the permanent idempotency of a clone or a commission."""
    return f"{CONTAINER_PREFIX}{uuid.uuid4()}"


def mint_idempotency_key() -> str:
    return str(uuid.uuid4())
