"""Named crash points: a test sets CRASH_AT=<name> and the process SIGKILLs itself right there.

This is how the crash tests prove recovery at each dangerous moment (after the plan commit, after the HTTP
call returns, ...) with a real worker, instead of trusting that the code looks right.
"""

from __future__ import annotations

import os
import signal
from enum import StrEnum

from agent.domain.vocabulary import WorkKind


class CrashPoint(StrEnum):
    AFTER_PLAN_COMMIT = "after_plan_commit"  # any loop: decisions and minted ids committed, nothing sent
    AFTER_CLONE_RESPONSE = "after_clone_response"  # Layers accepted a clone, not recorded yet
    AFTER_COMMISSION_RESPONSE = "after_commission_response"  # Layers accepted a commission, not recorded yet


AFTER_RESPONSE = {
    WorkKind.CLONE: CrashPoint.AFTER_CLONE_RESPONSE,
    WorkKind.COMMISSION: CrashPoint.AFTER_COMMISSION_RESPONSE,
}


def crashpoint(point: CrashPoint, armed: str | None) -> None:
    """Kill this process without any cleanup when `armed` names this point."""
    if armed == point:
        os.kill(os.getpid(), signal.SIGKILL)
