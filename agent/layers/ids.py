"""Layers ids come prefixed from some endpoints and bare from others (CONTRACT.md §2): compare them bare."""

from __future__ import annotations

import re

PREFIXED = re.compile(r"^[a-z]{2,5}_(?P<bare>[0-9A-Za-z-]{20,})$")


def bare_id(value: str | None) -> str | None:
    """`pp_0000…` and `0000…` name the same post; anything not shaped like a prefixed id is kept as is."""
    if value is None:
        return None
    match = PREFIXED.match(value)
    return match["bare"] if match else value
