"""`X-Layers-Signature` verification, exactly as CONTRACT §23.3 describes it; a pure function of its inputs.

The header is comma-separated `k=v` pairs: one `t=<unix seconds>` and one or more `v1=<hex>` (one per
active secret while a rotation overlaps). The signed payload is `f"{t}.{raw body}"` on the raw request
bytes, the key is the secret string as it is (`whsec_` prefix included), and the digest HMAC-SHA256 in hex.
A delivery is accepted when any `v1` matches any configured secret, compared in constant time, and `t` is
within 300 s of now in either direction.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from enum import StrEnum

from pydantic import SecretStr

TOLERANCE_S = 300


class Verdict(StrEnum):
    VALID = "valid"
    MISSING = "missing"  # no header at all
    MALFORMED = "malformed"  # no usable t= or no v1=
    STALE = "stale"  # t is more than the tolerance away from now, past or future
    MISMATCH = "mismatch"  # no v1 matches any secret


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[SecretStr],
    *,
    now: float,
    tolerance_s: int = TOLERANCE_S,
) -> Verdict:
    """Whether a delivery's body and header were signed by one of `secrets` at a time close to `now`."""
    if header is None:
        return Verdict.MISSING
    pairs = [part.strip().split("=", 1) for part in header.split(",")]
    timestamps = [value for key, *rest in pairs if key == "t" for value in rest]
    signatures = [value for key, *rest in pairs if key == "v1" for value in rest if value]
    if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()) or not signatures:
        return Verdict.MALFORMED
    t = int(timestamps[0])
    if abs(now - t) > tolerance_s:
        return Verdict.STALE
    message = timestamps[0].encode() + b"." + body
    candidates = [signature.encode() for signature in signatures]
    for secret in secrets:
        expected = hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).hexdigest().encode()
        # every candidate is compared, so the time taken says nothing about which one matched
        if any([hmac.compare_digest(expected, candidate) for candidate in candidates]):
            return Verdict.VALID
    return Verdict.MISMATCH
