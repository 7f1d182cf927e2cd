"""publish-to-learn: read the ranking, find breakouts, clone them, and record every decision.

The loop fetches and records; `agent.rules.publish` decides. See `agent.loops.runner` for the phases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from agent.crashpoints import AFTER_PLAN_COMMIT, crashpoint
from agent.layers.ids import bare_id
from agent.loops import cloning
from agent.loops.policy import Policy, policy_for
from agent.loops.runner import lock_unplanned
from agent.rules.publish import WHOLE_RUN, PostPerformance, PublishPlan, evaluate_publish, stage_metric
from agent.services import Services
from agent.store import clones
from agent.store.decisions import NewDecision, record
from agent.store.models import Customer, Run

NAME = "publish_to_learn"
RANKING_METRIC = "engagement_rate"


@dataclass(frozen=True)
class Inputs:
    """What Layers told us, reduced to what the rules and the record need."""

    posts: tuple[PostPerformance, ...]
    stage_metric: str
    stage_top: tuple[dict[str, Any], ...]


def fetch(services: Services, customer: Customer, top_n: int) -> Inputs:
    settings = services.settings
    ranking = services.client.top_performers(
        customer.layers_project_id,
        metric=RANKING_METRIC,
        window=settings.top_performers_window,
        limit=settings.top_performers_limit,
        include_ineligible=True,
    )
    excluded = excluded_post_ids(services, customer)
    posts = tuple(_to_post(item, excluded) for item in ranking.items)
    metric = stage_metric(customer.stage)
    if metric == RANKING_METRIC:
        stage_rows = ranking.items[:top_n]
    else:
        stage_rows = services.client.top_performers(
            customer.layers_project_id,
            metric=metric,
            window=settings.top_performers_window,
            limit=top_n,
            include_ineligible=True,
        ).items[:top_n]
    stage_top = tuple(
        {
            "platform_post_id": row.platform_post_id,
            "title": row.title,
            "metric": metric,
            "value": row.metric_value,
        }
        for row in stage_rows
    )
    return Inputs(posts=posts, stage_metric=metric, stage_top=stage_top)


def excluded_post_ids(services: Services, customer: Customer) -> set[str]:
    """Posts a human excluded through the ads-content override ("legal flagged the music"), ids bare."""
    rows = services.client.iter_ads_content(customer.layers_project_id, override="exclude")
    return {bare for row in rows if (bare := bare_id(row.platform_post_id)) is not None}


def _to_post(item: Any, excluded: set[str]) -> PostPerformance:
    organic = item.organic
    return PostPerformance(
        platform_post_id=item.platform_post_id,
        title=item.title,
        views=organic.views if organic is not None else None,
        engagement_rate=organic.engagement_rate if organic is not None else None,
        metric_value=item.metric_value,
        rank=item.rank,
        excluded=item.platform_post_id is not None and bare_id(item.platform_post_id) in excluded,
    )


def preview(services: Services, customer: Customer) -> tuple[PublishPlan, Inputs, Policy]:
    """Evaluate without recording or sending anything (`agent run --dry-run`)."""
    policy = policy_for(customer, services.settings)
    inputs = fetch(services, customer, policy.thresholds.top_n)
    with services.db.session() as session:
        counts = clones.counts(session, customer.id)
    return evaluate_publish(inputs.posts, counts, policy.thresholds), inputs, policy


class PublishToLearn:
    name = NAME

    def plan(self, services: Services, *, run: Run, customer: Customer, now: datetime) -> None:
        policy = policy_for(customer, services.settings)
        inputs = fetch(services, customer, policy.thresholds.top_n)
        with services.db.session() as session:
            locked = lock_unplanned(session, run.id)
            if locked is None:
                return
            plan = evaluate_publish(inputs.posts, clones.counts(session, customer.id), policy.thresholds)
            record_plan(
                session,
                run=locked,
                customer=customer,
                plan=plan,
                inputs=inputs,
                policy=policy,
                clone_request=(services.settings.clone_mode, services.settings.clone_variations),
            )
            locked.planned_at = now
            locked.rule_version = policy.rule_version
        crashpoint(AFTER_PLAN_COMMIT, services.settings.crash_at)

    def execute(self, services: Services, *, run_id: int, now: datetime) -> None:
        cloning.send_pending(services, run_id=run_id)


def record_plan(
    session: Session,
    *,
    run: Run,
    customer: Customer,
    plan: PublishPlan,
    inputs: Inputs,
    policy: Policy,
    clone_request: tuple[str, int],
) -> None:
    """Write the run's decisions and reserve its clones, all in the caller's transaction."""
    common = {"customer_id": customer.id, "run_id": run.id, "loop": NAME, "rule_version": policy.rule_version}
    for outcome in plan.outcomes:
        if outcome.platform_post_id == WHOLE_RUN:
            continue  # a run-level skip is the summary decision below
        action, reason, evidence = outcome.action, outcome.reason, dict(outcome.evidence)
        clone = None
        if action == "clone" and not policy.acting:
            # Shadow mode records what it would have cloned; the kill switch records that it held back.
            evidence["restraint"] = policy.restraint
            action, reason = (
                ("shadow_clone", reason) if policy.restraint == "shadow_mode" else ("skip", "kill_switch")
            )
        elif action == "clone":
            clone = clones.reserve(
                session,
                customer_id=customer.id,
                run_id=run.id,
                decision_id=None,
                source_post_id=outcome.platform_post_id,
                mode=clone_request[0],
                variations=clone_request[1],
                origin="breakout",
            )
            if clone is None:
                action, reason = "skip", "clone_cap_reached"
            else:
                evidence.update(container_id=clone.container_id, clone_slot=clone.slot)
        decision = record(
            session,
            NewDecision(
                **common,
                action=action,
                reason=reason,
                subject_type="platform_post",
                subject_id=outcome.platform_post_id,
                evidence=evidence,
                dedupe_key=f"run:{run.id}:post:{outcome.platform_post_id}",
            ),
        )
        if clone is not None:
            clone.decision_id = decision.id
    summary = dict(plan.summary)
    summary.update(stage=customer.stage, stage_metric=inputs.stage_metric, top=list(inputs.stage_top))
    if policy.restraint:
        summary["restraint"] = policy.restraint
    record(
        session,
        NewDecision(
            **common,
            action="skip" if plan.skip_reason else "summary",
            reason=plan.skip_reason or "daily_summary",
            subject_type="customer",
            subject_id=customer.layers_project_id,
            evidence=summary,
            dedupe_key=f"run:{run.id}:summary",
        ),
    )
