"""Which loop a run row belongs to, and the one entry point tasks and the CLI call to run one."""

from __future__ import annotations

from typing import Any

from agent.domain.vocabulary import LoopName
from agent.loops.optimization import Optimization
from agent.loops.ports import Deps
from agent.loops.publish_to_learn import PublishToLearn
from agent.loops.runner import Loop, RunOutcome, run_once
from agent.loops.weekly_review import WeeklyReview

PUBLISH_TO_LEARN = PublishToLearn()
LOOPS: dict[LoopName, Loop[Any, Any, Any]] = {
    loop.name: loop for loop in (PUBLISH_TO_LEARN, Optimization(), WeeklyReview())
}


def run(deps: Deps, run_id: int) -> RunOutcome:
    """Claim this run and take it as far as it goes: planned, sent, finished, deferred or failed."""
    return run_once(deps, run_id, LOOPS)
