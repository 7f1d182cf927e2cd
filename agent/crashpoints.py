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
    # notifications (issue 14)
    AFTER_NOTIFY_CLAIM = "after_notify_claim"  # a notification claimed (committed), not sent yet
    AFTER_NOTIFY_SEND = "after_notify_send"  # the channel accepted it, not marked sent yet
    # hand-off between loops (issue 12): a run ended and the next loop's run committed with it, not sent yet
    AFTER_HAND_OFF_COMMIT = "after_hand_off_commit"
    # publish and learn (issue 15)
    AFTER_SCHEDULE_COMMIT = "after_schedule_commit"  # a schedule's key, slot and targets committed, not sent
    AFTER_SCHEDULE_RESPONSE = "after_schedule_response"  # Layers accepted a schedule, not recorded yet


AFTER_RESPONSE = {
    WorkKind.CLONE: CrashPoint.AFTER_CLONE_RESPONSE,
    WorkKind.COMMISSION: CrashPoint.AFTER_COMMISSION_RESPONSE,
}


def crashpoint(point: CrashPoint, armed: str | None) -> None:
    """Kill this process without any cleanup when `armed` names this point."""
    if armed == point:
        os.kill(os.getpid(), signal.SIGKILL)
