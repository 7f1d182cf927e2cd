import io
import json
import logging

import structlog

from agent.logging import configure_logging, get_logger

KEY = "lp_test_abc123_SENTINELsecretvalue"


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_output_is_json_off_a_terminal_and_keys_are_redacted():
    stream = io.StringIO()
    configure_logging("DEBUG", "auto", stream)
    get_logger("t").info(
        "calling", api_key=KEY, url=f"https://x/?k={KEY}", headers={"Authorization": f"Bearer {KEY}"}
    )
    (line,) = _lines(stream)
    assert line["event"] == "calling"
    assert "SENTINEL" not in stream.getvalue()
    structlog.reset_defaults()


def test_standard_library_records_go_through_the_same_redaction():
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    logging.getLogger("celery.worker").warning("task failed with key %s", KEY)
    (line,) = _lines(stream)
    assert line["logger"] == "celery.worker"
    assert "SENTINEL" not in stream.getvalue()
    structlog.reset_defaults()


def test_exceptions_are_redacted_too():
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    try:
        raise RuntimeError(f"boom {KEY}")
    except RuntimeError:
        get_logger("t").exception("failed")
    assert "SENTINEL" not in stream.getvalue()
    assert "boom" in stream.getvalue()
    structlog.reset_defaults()


def test_httpx_stays_at_warning_even_at_debug():
    configure_logging("DEBUG", "json", io.StringIO())
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
    structlog.reset_defaults()
