"""The worker process's services, built lazily once per process (never at import time)."""

from __future__ import annotations

import threading

from agent.config import get_settings
from agent.logging import configure_logging
from agent.loops.scheduling import Lost
from agent.services import Services, build_services
from agent.worker.leases import HeldRuns
from agent.worker.messages import RunMessages

_lock = threading.Lock()
_services: Services | None = None
_messages: tuple[RunMessages | None] | None = None  # built once: a one-tuple, since None means "no Redis"
_held: HeldRuns | None = None


def services() -> Services:
    global _services
    with _lock:
        if _services is None:
            settings = get_settings()
            configure_logging(settings.log_level, settings.log_format)
            _services = build_services(settings)
        return _services


def messages() -> RunMessages | None:
    """The run markers on the broker's Redis; None on the embedded broker."""
    global _messages
    built = services()
    with _lock:
        if _messages is None:
            _messages = (RunMessages.from_settings(built.settings, clock=built.now),)
        return _messages[0]


def lost_messages() -> Lost | None:
    """What the sweeper asks about queued runs: which lost their message (None: nothing can tell)."""
    found = messages()
    return found.lost if found is not None else None


def held_runs() -> HeldRuns:
    """The runs this process is running, their leases kept alive."""
    global _held
    with _lock:
        if _held is None:
            _held = HeldRuns(services)
        return _held


def install(prepared: Services) -> None:
    """Use these services in this process (the demo runs the real tasks in-process on the sandbox)."""
    global _services, _messages
    with _lock:
        _services, _messages = prepared, None


def reset() -> None:
    """Forget the services of the parent process (called in each forked child)."""
    global _services, _messages, _held
    with _lock:
        _services, _messages, _held = None, None, None
