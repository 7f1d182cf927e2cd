"""Every clone gets a verdict: a periodic tick (beat, every VERDICT_TICK_S) judges each completed clone once
its publications have all ended and its judged window has settled (`agent.rules.outcomes`).

A published clone is read back from Layers (its variations' posts, over the window), then judged against
its parent post and the customer's median when it was cloned (from the clone decision's evidence, else the
day's recorded run input). A clone that never went live is judged `inconclusive` right away. Each verdict is
recorded under the clone's decision, and kept (one per clone, a unique key) for the next days to learn from.
"""

from __future__ import annotations

from datetime import timedelta

from structlog.contextvars import bound_contextvars

from agent.domain.decisions import NewDecision
from agent.domain.learn_evidence import CloneVerdict, VariationResult
from agent.domain.publishing import VerdictDue
from agent.domain.vocabulary import LoopName
from agent.layers import errors
from agent.logging import get_logger
from agent.loops import publish_readers
from agent.loops.ports import Deps
from agent.rules.outcomes import PLATFORM_SYNC_CADENCE, CloneResult, judge, judged_window

log = get_logger(__name__)

BATCH = 50


def tick(deps: Deps) -> int:
    """Judge the clones whose verdict is due; returns how many were judged."""
    settings, now = deps.settings, deps.now()
    settle = max(timedelta(hours=settings.settle_delay_hours), PLATFORM_SYNC_CADENCE)
    published_before = now - timedelta(days=settings.clone_outcome_days) - settle
    with deps.store() as store:
        due = store.due_verdicts(published_before=published_before, limit=BATCH)
    judged = 0
    for clone in due:
        with bound_contextvars(clone_id=clone.clone_id, customer_id=clone.customer_id):
            try:
                judged += judge_one(deps, clone)
            except errors.LayersError as exc:  # Layers is busy or the read broke: judged on a later tick
                log.warning("verdict_deferred", error=type(exc).__name__, code=exc.code)
    return judged


def judge_one(deps: Deps, due: VerdictDue) -> int:
    settings, now = deps.settings, deps.now()
    with deps.store() as store:
        customer = store.get_customer(customer_id=due.customer_id)
        baseline = store.clone_baseline(clone_id=due.clone_id)
    thresholds = settings.thresholds().with_overrides(customer.threshold_overrides)
    window = None
    variations: tuple[VariationResult, ...] = ()
    if due.published:
        first = min(variation.published_at for variation in due.published)
        window = judged_window(first, days=settings.clone_outcome_days)
        variations = publish_readers.clone_results(
            deps.client, due.project_id, due.published, window=window, now=now
        )
    decided = judge(
        CloneResult(
            clone_container_id=due.clone_container_id,
            source_post_id=due.source_post_id,
            variations=variations,
            baseline=baseline,
            window=window,
            settle_hours=settings.settle_delay_hours,
            unpublished=due.unpublished,
        ),
        thresholds,
    )
    with deps.store() as store:
        decision_id = store.record_decision(
            NewDecision(
                customer_id=due.customer_id,
                loop=LoopName.PUBLISH_TO_LEARN,
                action=decided.action,
                reason=decided.reason,
                subject=decided.subject,
                evidence=decided.evidence,
                parent_id=due.clone_decision_id,
                dedupe_key=decided.key,
            )
        )
        if not isinstance(decided.evidence, CloneVerdict):
            raise TypeError("a clone verdict carries CloneVerdict evidence")
        saved = store.save_outcome(
            clone_id=due.clone_id,
            reason=decided.reason,
            verdict=decided.evidence,
            decision_id=decision_id,
            now=now,
        )
    log.info("clone_judged", verdict=decided.reason)
    return int(saved)
