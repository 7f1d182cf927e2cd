"""The signature scheme of CONTRACT §23.3 as a table: what is accepted, and every way a delivery is refused.

The expected signatures are computed here with hmac directly (never with the verifier's own code): a
delivery is signed over `f"{t}.{raw body}"` with the secret string as the key, HMAC-SHA256 in hex.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import SecretStr

from agent.webhooks.signature import TOLERANCE_S, Verdict, verify

SECRET = "whsec_current_SENTINEL"
OLD = "whsec_previous_SENTINEL"
BODY = b'{"id":"evt_01KPM7QZEC6NJF4XJTCZRR6S3N","type":"job.completed","data":{"jobId":"job_1"}}'
T = 1_796_000_000
NOW = float(T + 12)


def hexmac(secret: str, t: int | str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def header(t: int | str = T, *secrets: str, body: bytes = BODY) -> str:
    return ",".join([f"t={t}", *(f"v1={hexmac(s, t, body)}" for s in secrets or (SECRET,))])


def check(head: str | None, *, body: bytes = BODY, secrets=(SECRET,), now: float = NOW) -> Verdict:
    return verify(body, head, [SecretStr(s) for s in secrets], now=now)


# fmt: off
CASES = [
    ("valid", header(), (SECRET,), NOW, Verdict.VALID),
    ("valid, spaces after commas", header().replace(",", ", "), (SECRET,), NOW, Verdict.VALID),
    ("rotation: both v1, the new secret configured", header(T, OLD, SECRET), (SECRET,), NOW, Verdict.VALID),
    ("rotation: both v1, the old secret configured", header(T, SECRET, OLD), (OLD,), NOW, Verdict.VALID),
    ("rotation: one v1, either configured secret", header(T, OLD), (SECRET, OLD), NOW, Verdict.VALID),
    ("a v1 among unknown schemes", f"t={T},v0=abc,v1={hexmac(SECRET, T, BODY)},v2=x", (SECRET,), NOW, Verdict.VALID),
    ("wrong secret", header(T, "whsec_other"), (SECRET,), NOW, Verdict.MISMATCH),
    ("no secret configured", header(), (), NOW, Verdict.MISMATCH),
    ("exactly 300 s old", header(), (SECRET,), float(T + TOLERANCE_S), Verdict.VALID),
    ("stale: 301 s old", header(), (SECRET,), float(T + TOLERANCE_S + 1), Verdict.STALE),
    ("exactly 300 s ahead", header(), (SECRET,), float(T - TOLERANCE_S), Verdict.VALID),
    ("future: 301 s ahead", header(), (SECRET,), float(T - TOLERANCE_S - 1), Verdict.STALE),
    ("missing header", None, (SECRET,), NOW, Verdict.MISSING),
    ("empty header", "", (SECRET,), NOW, Verdict.MALFORMED),
    ("no t", f"v1={hexmac(SECRET, T, BODY)}", (SECRET,), NOW, Verdict.MALFORMED),
    ("no v1", f"t={T}", (SECRET,), NOW, Verdict.MALFORMED),
    ("empty v1", f"t={T},v1=", (SECRET,), NOW, Verdict.MALFORMED),
    ("two t", f"t={T},t={T},v1={hexmac(SECRET, T, BODY)}", (SECRET,), NOW, Verdict.MALFORMED),
    ("t not a number", header("soon"), (SECRET,), NOW, Verdict.MALFORMED),
    ("t with a fraction", header(f"{T}.5"), (SECRET,), NOW, Verdict.MALFORMED),
    ("t in non-ASCII digits", header("١٧٩٦"), (SECRET,), NOW, Verdict.MALFORMED),
    ("negative t", header(f"-{T}"), (SECRET,), NOW, Verdict.MALFORMED),
    ("v1 with non-ASCII", f"t={T},v1=é{hexmac(SECRET, T, BODY)[1:]}", (SECRET,), NOW, Verdict.MISMATCH),
    ("pairs without =", f"t={T};v1={hexmac(SECRET, T, BODY)}", (SECRET,), NOW, Verdict.MALFORMED),
    ("upper-case hex", header().upper().replace("T=", "t=").replace("V1=", "v1="), (SECRET,), NOW, Verdict.MISMATCH),
]
# fmt: on


@pytest.mark.parametrize(("case", "head", "secrets", "now", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_table(case, head, secrets, now, expected):
    assert check(head, secrets=secrets, now=now) is expected, case


def test_a_re_serialized_body_is_not_the_signed_one():
    """Raw bytes, never re-serialized JSON: the same JSON with other whitespace fails."""
    assert check(header(), body=BODY.replace(b",", b", ")) is Verdict.MISMATCH


@pytest.mark.parametrize("index", range(len(BODY)))
def test_every_byte_of_the_body_is_signed(index):
    tampered = bytearray(BODY)
    tampered[index] ^= 0x01
    assert check(header(), body=bytes(tampered)) is Verdict.MISMATCH


def test_a_longer_or_shorter_body_is_refused():
    assert check(header(), body=BODY + b" ") is Verdict.MISMATCH
    assert check(header(), body=BODY[:-1]) is Verdict.MISMATCH
    assert check(header(body=b""), body=b"") is Verdict.VALID  # the empty body is signed like any other


@pytest.mark.parametrize("index", range(len(str(T))))
def test_every_digit_of_the_timestamp_is_signed(index):
    """A t moved within the tolerance keeps the old signature: refused for the signature, not the clock."""
    digits = list(str(T))
    digits[index] = str((int(digits[index]) + 1) % 10)
    moved = int("".join(digits))
    signature = hexmac(SECRET, T, BODY)
    assert check(f"t={moved},v1={signature}", now=float(moved)) is Verdict.MISMATCH


@pytest.mark.parametrize("index", range(64))
def test_every_character_of_the_signature_counts(index):
    signature = list(hexmac(SECRET, T, BODY))
    signature[index] = "0" if signature[index] != "0" else "1"
    assert check(f"t={T},v1={''.join(signature)}") is Verdict.MISMATCH


def test_a_truncated_or_extended_signature_is_refused():
    signature = hexmac(SECRET, T, BODY)
    assert check(f"t={T},v1={signature[:-1]}") is Verdict.MISMATCH
    assert check(f"t={T},v1={signature}0") is Verdict.MISMATCH


def test_the_secret_is_the_whole_string_prefix_included():
    without_prefix = SECRET.removeprefix("whsec_")
    assert check(header(T, without_prefix)) is Verdict.MISMATCH
    assert check(header(T, without_prefix), secrets=(without_prefix,)) is Verdict.VALID
