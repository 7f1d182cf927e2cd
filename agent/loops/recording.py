"""Recording a decision together with the effect it asks for, in the plan's transaction: the one place that
reserves work (a clone slot, a commission), mints its ids, records the decision naming them, and links the
work back to its decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.config import Settings
from agent.domain.decisions import CloneRequest, CommissionRequest, ConsentRequest, Decided, NewDecision
from agent.domain.records import CloneSpec, CustomerRecord, NewClone, NewCommission, RunRecord, WorkItem
from agent.loops.notifications import notify_decision
from agent.loops.ports import Store
from agent.rules.policy import Policy
from agent.rules.work import cap_reached, with_work


@dataclass(frozen=True)
class Planning:
    """The run being planned, and what its plan is recorded with."""

    run: RunRecord
    customer: CustomerRecord
    policy: Policy
    settings: Settings
    now: datetime


@dataclass(frozen=True)
class Recorded:
    decision_id: int
    decided: Decided
    work: WorkItem | None


def record(
    store: Store, planning: Planning, decided: Decided, *, recommendation_row_id: int | None = None
) -> Recorded:
    """Reserve the decision's work (if any), record the decision, and link the two.

    A clone whose source has no slot left (another run took it since the plan read the counts) is
    recorded as `skip / clone_cap_reached` instead.
    """
    run, settings = planning.run, planning.settings
    work: WorkItem | None = None
    effect = decided.effect
    if isinstance(effect, CloneRequest):
        work = store.reserve_clone(
            NewClone(
                customer_id=run.customer_id,
                run_id=run.id,
                loop=run.loop,
                source_post_id=effect.source_post_id,
                origin=effect.origin,
                mode=settings.clone_mode,
                variations=settings.clone_variations,
            )
        )
        if work is None:
            decided = cap_reached(decided)
    elif isinstance(effect, CommissionRequest):
        work = store.reserve_commission(
            NewCommission(
                customer_id=run.customer_id,
                run_id=run.id,
                loop=run.loop,
                hook=effect.hook,
                hook_source_post_id=effect.hook_source_post_id,
                variant_count=settings.commission_variant_count,
            )
        )
    if work is not None:
        slot = work.spec.slot if isinstance(work.spec, CloneSpec) else None
        decided = with_work(decided, container_id=work.container_id, slot=slot)
    decision_id = store.record_decision(
        NewDecision(
            customer_id=run.customer_id,
            loop=run.loop,
            action=decided.action,
            reason=decided.reason,
            subject=decided.subject,
            evidence=decided.evidence,
            run_id=run.id,
            rule_version=planning.policy.rule_version,
            dedupe_key=f"run:{run.id}:{decided.key}",
        )
    )
    if work is not None:
        store.link_work_decision(kind=work.kind, work_id=work.id, decision_id=decision_id)
    if isinstance(decided.effect, ConsentRequest):
        store.propose(
            decision_id=decision_id,
            request=decided.effect,
            recommendation_row_id=recommendation_row_id,
            now=planning.now,
        )
    notify_decision(
        store,
        settings=settings,
        customer=planning.customer,
        decision_id=decision_id,
        action=decided.action,
        reason=decided.reason,
        now=planning.now,
    )
    return Recorded(decision_id=decision_id, decided=decided, work=work)
