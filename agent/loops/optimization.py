"""The optimization loop: surface ads spending without converting, keep the creative pool fed, and
triage Layers' recommendations. It never pauses an ad and never changes a customer's setup without
recorded consent: such actions become proposals that execute once approved (`agent.loops.consent`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.domain.decisions import CloneRequest
from agent.domain.records import CustomerRecord, RunRecord
from agent.domain.run_inputs import PublishInput
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
from agent.rules.publish import replay_posts, stage_metric
from agent.rules.recommendations import wants_fatigue_check, when_cap_reached
from agent.rules.schedule import local_date

PUBLISHING_LOOKBACK_DAYS = 14  # the docs' "no post in 14 days" health signal


class Optimization:
    name = LoopName.OPTIMIZATION

    def fetch(
        self, deps: Deps, customer: CustomerRecord, policy: Policy, now: datetime
    ) -> OptimizationInputs:
        """ads-metrics, recommendations and the posts-published count from Layers; the pool and the ranking
        from today's publish-to-learn run when it kept them (one read per customer-day), else from Layers
        (this loop run alone, or before publish-to-learn)."""
        client, project, settings = deps.client, customer.layers_project_id, deps.settings
        window = (now - timedelta(days=settings.ads_metrics_window_days), now)
        ads = readers.ad_spend(client, project, window)
        seen = _kept_today(deps, customer, now)
        pool = seen.pool if seen is not None and seen.pool is not None else readers.pool(client, project)
        eligible = readers.eligible_count(pool)
        scores = readers.organic_scores(pool)
        hook_source = None
        if eligible < policy.thresholds.min_eligible_pool:  # only a thin pool needs a hook
            posts = (
                replay_posts(seen)
                if seen is not None
                else readers.ranking(
                    client,
                    project,
                    window=settings.top_performers_window,
                    limit=settings.top_performers_limit,
                    excluded=readers.excluded_post_ids(pool),
                )
            )
            hook_source = readers.hook_source(posts, stage_metric(customer.stage))
        recommendations = readers.open_recommendations(client, project)
        # A confident refresh is checked for fatigue: this window's CPA and impressions against the last one's.
        previous = (
            readers.ad_spend(client, project, (window[0] - (window[1] - window[0]), window[0]))
            if wants_fatigue_check(recommendations, policy.thresholds)
            else ()
        )
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
            previous_ads=previous,
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


def _kept_today(deps: Deps, customer: CustomerRecord, now: datetime) -> PublishInput | None:
    """Today's publish-to-learn record when it kept the pool: a short store read between Layers calls (no
    transaction is held across one), on the customer's local date."""
    with deps.store() as store:
        seen = store.publish_input_of_day(
            customer_id=customer.id, local_date=local_date(now, customer.timezone)
        )
    return seen if seen is not None and seen.pool is not None else None
