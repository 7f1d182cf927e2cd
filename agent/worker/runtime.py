"""The worker process's services, built lazily once per process (never at import time)."""

from __future__ import annotations

import threading

from agent.config import get_settings
from agent.logging import configure_logging
from agent.services import Services, build_services

_lock = threading.Lock()
_services: Services | None = None


def services() -> Services:
    global _services
    with _lock:
        if _services is None:
            settings = get_settings()
            configure_logging(settings.log_level, settings.log_format)
            _services = build_services(settings)
        return _services


def install(prepared: Services) -> None:
    """Use these services in this process (the demo runs the real tasks in-process on the sandbox)."""
    global _services
    with _lock:
        _services = prepared


def reset() -> None:
    """Forget the services of the parent process (called in each forked child)."""
    global _services
    with _lock:
        _services = None
