"""Named crash points: a test sets CRASH_AT=<name> and the process SIGKILLs itself right there.

This is how the crash tests prove recovery at each dangerous moment (after the decision commit, after
the HTTP call returns, ...) with a real worker, instead of trusting that the code looks right.
"""

from __future__ import annotations

import os
import signal

AFTER_PLAN_COMMIT = "after_plan_commit"
AFTER_CLONE_RESPONSE = "after_clone_response"
AFTER_COMMISSION_COMMIT = "after_commission_commit"
AFTER_COMMISSION_RESPONSE = "after_commission_response"
POINTS = (AFTER_PLAN_COMMIT, AFTER_CLONE_RESPONSE, AFTER_COMMISSION_COMMIT, AFTER_COMMISSION_RESPONSE)


def crashpoint(name: str, armed: str | None) -> None:
    """Kill this process without any cleanup when `armed` names this point."""
    if armed == name:
        os.kill(os.getpid(), signal.SIGKILL)
