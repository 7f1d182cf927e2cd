"""A webhook signing secret is masked wherever free text is redacted (log lines, one-line CLI errors)."""

from __future__ import annotations

import io
import json

import structlog

from agent.domain.redaction import redact_text
from agent.logging import configure_logging, get_logger

SECRET = "whsec_3kZ-q_SENTINELsecret"


def test_a_signing_secret_in_free_text_is_masked():
    assert redact_text(f"LAYERS_WEBHOOK_SECRETS={SECRET},whsec_old") == (
        "LAYERS_WEBHOOK_SECRETS=whsec_[redacted],whsec_[redacted]"
    )


def test_a_signing_secret_never_reaches_a_log_line():
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    try:
        get_logger("t").warning("webhook_config", detail=f"secrets were {SECRET}", signing=[SECRET])
    finally:
        structlog.reset_defaults()
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert "SENTINEL" not in stream.getvalue()
    assert line["detail"] == "secrets were whsec_[redacted]"
