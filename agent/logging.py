"""structlog set-up: JSON off a terminal, readable on one, and one redaction pass over every record.

Standard-library loggers (httpx, celery, sqlalchemy) go through the same processors via
ProcessorFormatter, so the redaction also covers what third-party code logs.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from agent.domain.redaction import REDACTED, redact_text

SECRET_KEYS = re.compile(r"(api[_-]?key|authorization|secret|password|token|x-api-key)", re.IGNORECASE)
QUIET_LOGGERS = ("httpx", "httpcore")


def _redact_value(key: str, value: Any) -> Any:
    if SECRET_KEYS.search(key) and value is not None and not isinstance(value, bool | int | float):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, v) for v in value]
    if isinstance(value, BaseException | bytes):
        return redact_text(str(value))
    return value


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets by key name and by shape, in every field."""
    for key in list(event_dict):
        if key in ("_record", "_from_structlog"):
            continue
        event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


def _render_exception_then_redact(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> Any:
    event_dict = structlog.processors.format_exc_info(logger, name, event_dict)
    return redact_secrets(logger, name, event_dict)


def configure_logging(level: str = "INFO", fmt: str = "auto", stream: Any = None) -> None:
    """Route structlog and the standard library through one pipeline with redaction at its end."""
    stream = stream or sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not getattr(stream, "isatty", lambda: False)())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _render_exception_then_redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
