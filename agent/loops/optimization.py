"""The optimization loop: surface ads spending without converting, keep the creative pool fed, and
triage Layers' recommendations. It never pauses an ad and never changes a customer's setup without
recorded consent: such actions become proposals that execute once approved (`agent.loops.consent`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.domain.decisions import CloneRequest
from agent.domain.records import CustomerRecord, RunRecord
from agent.domain.vocabulary import LoopName
from agent.loops import consent, readers, recording, submissions
from agent.loops.ports import Deps, Store
from agent.loops.recording import Planning
from agent.rules.optimization import (
    OptimizationInputs,
    OptimizationKnown,
    OptimizationPlan,
    PoolSnapshot,
    decide_optimization,
)
from agent.rules.policy import Policy
from agent.rules.publish import stage_metric
from agent.rules.recommendations import when_cap_reached

PUBLISHING_LOOKBACK_DAYS = 14  # the docs' "no post in 14 days" health signal


class Optimization:
    name = LoopName.OPTIMIZATION

    def fetch(
        self, deps: Deps, customer: CustomerRecord, policy: Policy, now: datetime
    ) -> OptimizationInputs:
        client, project = deps.client, customer.layers_project_id
        window = (now - timedelta(days=deps.settings.ads_metrics_window_days), now)
        ads = readers.ad_spend(client, project, window)
        # One pass over the whole pool gives both the eligible count and the health snapshot's average score.
        pool = readers.pool(client, project)
        eligible = sum(1 for item in pool if item.eligibility is not None and item.eligibility.is_eligible)
        scores = [item.organic_score for item in pool if item.organic_score is not None]
        hook_source = None
        if eligible < policy.thresholds.min_eligible_pool:
            hook_source = readers.hook_source(
                client,
                project,
                metrics=(stage_metric(customer.stage),),
                window=deps.settings.top_performers_window,
                excluded=readers.excluded_post_ids(client, project),
            )
        recommendations = readers.open_recommendations(client, project)
        published = readers.posts_published(client, project, now=now, days=PUBLISHING_LOOKBACK_DAYS)
        return OptimizationInputs(
            project_id=project,
            window=window,
            ads=ads,
            eligible_pool=eligible,
            hook_source=hook_source,
            recommendations=recommendations,
            snapshot=PoolSnapshot(
                average_organic_score=sum(scores) / len(scores) if scores else None,
                scored_items=len(scores),
                posts_published_recently=published,
            ),
        )

    def load(self, store: Store, customer: CustomerRecord, now: datetime) -> OptimizationKnown:
        return OptimizationKnown(
            last_commission_at=store.last_live_commission_at(customer_id=customer.id),
            tracked=store.tracked_recommendations(customer_id=customer.id),
        )

    def decide(
        self, inputs: OptimizationInputs, known: OptimizationKnown, policy: Policy, now: datetime
    ) -> OptimizationPlan:
        return decide_optimization(inputs, known, policy, now)

    def record(self, store: Store, planning: Planning, plan: OptimizationPlan) -> None:
        customer_id = planning.customer.id
        store.save_snapshot(customer_id=customer_id, day=planning.run.local_date, snapshot=plan.snapshot)
        for decided in (*plan.flags, plan.pool):
            recording.record(store, planning, decided)
        for outcome in plan.recommendations:
            row_id = store.track_recommendation(customer_id=customer_id, item=outcome.item)
            recorded = recording.record(store, planning, outcome.decided, recommendation_row_id=row_id)
            if isinstance(outcome.decided.effect, CloneRequest) and recorded.work is None:
                outcome = when_cap_reached(outcome)
            store.set_recommendation_status(
                row_id=row_id, status=outcome.status, decision_id=recorded.decision_id
            )

    def send(self, deps: Deps, run: RunRecord) -> None:
        submissions.send_pending(deps, run_id=run.id)
        consent.execute_approved(deps, customer_id=run.customer_id)
