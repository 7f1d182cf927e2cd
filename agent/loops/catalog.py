"""Which loop a run row belongs to, and the one entry point tasks and the CLI call."""

from __future__ import annotations

from agent.loops.optimization import Optimization
from agent.loops.publish_to_learn import PublishToLearn
from agent.loops.runner import Loop, RunOutcome, run_loop
from agent.loops.weekly_review import WeeklyReview
from agent.services import Services
from agent.store.models import Run

LOOPS: dict[str, Loop] = {loop.name: loop for loop in (PublishToLearn(), Optimization(), WeeklyReview())}


def execute(services: Services, run_id: int) -> RunOutcome:
    with services.db.session() as session:
        run = session.get(Run, run_id)
        loop_name = run.loop if run is not None else None
    if loop_name is None:
        return RunOutcome(run_id, "not_claimed", "unknown_run")
    return run_loop(services, LOOPS[loop_name], run_id)
