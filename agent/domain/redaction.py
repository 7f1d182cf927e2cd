"""The shapes of secrets, and the one function that masks them in free text.

Logs, exception messages and anything stored from Layers' own words go through `redact_text`, so an
echoed API key, bearer token or URL password never leaves the process.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
API_KEY_SHAPE = re.compile(r"lp_(live|test)_[A-Za-z0-9]+_[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)")
WEBHOOK_SECRET_SHAPE = re.compile(r"whsec_[A-Za-z0-9_-]+")  # a Layers webhook signing secret (issue 11)


def redact_text(text: str) -> str:
    """Mask API keys, bearer tokens, webhook signing secrets and URL passwords inside free text."""
    text = API_KEY_SHAPE.sub(f"lp_{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    text = WEBHOOK_SECRET_SHAPE.sub(f"whsec_{REDACTED}", text)
    return _URL_PASSWORD.sub(rf"\1{REDACTED}\2", text)
