"""The optimization loop: surface ads spending without converting, keep the creative pool fed, and
triage Layers' recommendations. It never pauses an ad and never changes a customer's setup without
recorded consent: such actions become proposals for `agent approve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crashpoints import AFTER_COMMISSION_COMMIT, crashpoint
from agent.layers.ids import bare_id
from agent.loops import cloning, commissioning, consent
from agent.loops.policy import Policy, policy_for
from agent.loops.publish_to_learn import excluded_post_ids
from agent.loops.runner import lock_unplanned
from agent.rules import optimization as rules
from agent.rules.publish import stage_metric
from agent.services import Services
from agent.store import clones
from agent.store.decisions import NewDecision, record
from agent.store.dialect import insert
from agent.store.models import Commission, Customer, Decision, OrganicSnapshot, Recommendation, Run

NAME = "optimization"
ADS_METRICS = ("spend", "impressions", "conversions", "cpa", "roas")
HOOK_CANDIDATES = 10
PUBLISHING_LOOKBACK_DAYS = 14  # the docs' "no post in 14 days" health signal
COOLDOWN_STATUSES = ("pending", "submitted", "running", "completed", "timed_out")


@dataclass(frozen=True)
class RecommendationInput:
    view: rules.RecommendationView
    source_post_id: str | None
    suggested_body: dict[str, Any] | None
    label: str | None


@dataclass(frozen=True)
class Inputs:
    window: tuple[datetime, datetime]
    ads: tuple[rules.AdSpend, ...]
    eligible_pool: int
    hook_source: rules.HookSource | None
    recommendations: tuple[RecommendationInput, ...]
    average_organic_score: float | None
    scored_items: int
    posts_published_recently: int | None


def ad_spend_rows(
    services: Services, customer: Customer, window: tuple[datetime, datetime]
) -> tuple[rules.AdSpend, ...]:
    """ads-metrics grouped by ad (the shape Layers' docs infer, see README) as plain rows for the rules."""
    response = services.client.ads_metrics(
        customer.layers_project_id, since=window[0], until=window[1], group_by="ad", metrics=list(ADS_METRICS)
    )
    return tuple(
        rules.AdSpend(
            ad_id=row.ad_id,
            ads_content_id=row.ads_content_id,
            spend=float(row.spend or 0.0),
            impressions=row.impressions,
            conversions=float(row.conversions or 0.0),
            cpa=row.cpa,
            roas=row.roas,
        )
        for row in response.series
        if row.ad_id
    )


def fetch(services: Services, customer: Customer, policy: Policy, now: datetime) -> Inputs:
    client, project = services.client, customer.layers_project_id
    window = (now - timedelta(days=services.settings.ads_metrics_window_days), now)
    ads = ad_spend_rows(services, customer, window)
    # One pass over the whole pool gives both the eligible count and the health snapshot's average score.
    pool = list(client.iter_ads_content(project))
    eligible = sum(1 for item in pool if item.eligibility is not None and item.eligibility.is_eligible)
    scores = [item.organic_score for item in pool if item.organic_score is not None]
    hook_source = None
    if eligible < policy.thresholds.min_eligible_pool:
        hook_source = _hook_source(services, customer)
    recommendations = tuple(
        _recommendation(rec) for rec in client.iter_recommendations(project, status=["open"])
    )
    published = client.metrics(
        project,
        scope="project",
        id=project,
        metrics=["posts_published"],
        since=now - timedelta(days=PUBLISHING_LOOKBACK_DAYS),
        until=now,
    ).totals.get("posts_published")
    return Inputs(
        window=window,
        ads=ads,
        eligible_pool=eligible,
        hook_source=hook_source,
        recommendations=recommendations,
        average_organic_score=sum(scores) / len(scores) if scores else None,
        scored_items=len(scores),
        posts_published_recently=int(published) if published is not None else None,
    )


def _hook_source(services: Services, customer: Customer) -> rules.HookSource | None:
    """The best recent performer by the customer's stage metric, else by engagement (organic-only data).

    A post excluded by override is never a hook source, as it is never a clone source.
    """
    excluded = excluded_post_ids(services, customer)
    for metric in dict.fromkeys((stage_metric(customer.stage), "engagement_rate")):
        performers = services.client.top_performers(
            customer.layers_project_id,
            metric=metric,
            window="7d",
            limit=HOOK_CANDIDATES,
            include_ineligible=True,
        ).items
        found = rules.pick_hook_source(
            [
                rules.HookSource(row.platform_post_id, row.title, row.metric_value)
                for row in performers
                if bare_id(row.platform_post_id) not in excluded
            ]
        )
        if found is not None:
            return found
    return None


def _recommendation(rec: Any) -> RecommendationInput:
    action = rec.suggested_action
    body = action.body if action is not None and isinstance(action.body, dict) else None
    subject = rec.subject
    source = (body or {}).get("sourcePlatformPostId")
    if source is None and subject is not None and subject.type == "platform_post":
        source = subject.id
    return RecommendationInput(
        view=rules.RecommendationView(
            recommendation_id=rec.recommendation_id,
            kind=rec.kind,
            confidence=float(rec.confidence),
            subject_type=subject.type if subject else "",
            subject_id=subject.id if subject else "",
            suggested_endpoint=action.endpoint if action is not None else None,
            suggested_method=action.method if action is not None else None,
        ),
        source_post_id=source,
        suggested_body=body,
        label=subject.label if subject else None,
    )


class Optimization:
    name = NAME

    def plan(self, services: Services, *, run: Run, customer: Customer, now: datetime) -> None:
        policy = policy_for(customer, services.settings)
        inputs = fetch(services, customer, policy, now)
        with services.db.session() as session:
            locked = lock_unplanned(session, run.id)
            if locked is None:
                return
            recorder = _Recorder(session, run=locked, customer=customer, policy=policy, now=now)
            recorder.snapshot(inputs)
            recorder.flags(inputs)
            recorder.pool(inputs, services.settings.commission_variant_count)
            recorder.recommendations(
                inputs, clone_request=(services.settings.clone_mode, services.settings.clone_variations)
            )
            locked.planned_at = now
            locked.rule_version = policy.rule_version
        crashpoint(AFTER_COMMISSION_COMMIT, services.settings.crash_at)

    def execute(self, services: Services, *, run_id: int, now: datetime) -> None:
        commissioning.send_pending(services, run_id=run_id)
        cloning.send_pending(services, run_id=run_id)
        with services.db.session() as session:
            customer_id = session.get_one(Run, run_id).customer_id
        consent.execute_approved(services, customer_id=customer_id)


class _Recorder:
    """Writes one optimization plan: decisions plus the ids of everything it will send, in one transaction."""

    def __init__(
        self, session: Session, *, run: Run, customer: Customer, policy: Policy, now: datetime
    ) -> None:
        self.session, self.run, self.customer, self.policy, self.now = session, run, customer, policy, now

    def decide(
        self,
        *,
        action: str,
        reason: str,
        subject_type: str,
        subject_id: str,
        evidence: dict[str, Any],
        key: str,
    ) -> Decision:
        return record(
            self.session,
            NewDecision(
                customer_id=self.customer.id,
                run_id=self.run.id,
                loop=NAME,
                action=action,
                reason=reason,
                subject_type=subject_type,
                subject_id=subject_id,
                evidence=evidence,
                rule_version=self.policy.rule_version,
                dedupe_key=f"run:{self.run.id}:{key}",
            ),
        )

    def restrained(self, action: str, reason: str) -> tuple[str, str]:
        """What a mutating action becomes in shadow mode or under the kill switch."""
        if self.policy.restraint == "shadow_mode":
            return f"shadow_{action}", reason
        return "skip", "kill_switch"

    def snapshot(self, inputs: Inputs) -> None:
        """Today's organic health numbers, kept per day so `agent health` can see a trend."""
        statement = (
            insert(self.session, OrganicSnapshot)
            .values(
                customer_id=self.customer.id,
                snapshot_date=self.run.local_date,
                average_organic_score=inputs.average_organic_score,
                scored_items=inputs.scored_items,
                posts_published_14d=inputs.posts_published_recently,
            )
            .on_conflict_do_nothing(index_elements=["customer_id", "snapshot_date"])
        )
        self.session.execute(statement)

    def flags(self, inputs: Inputs) -> None:
        for flag in rules.flag_spend_without_conversions(inputs.ads, self.policy.thresholds, inputs.window):
            self.decide(
                action=flag.action,
                reason=flag.reason,
                subject_type="ad",
                subject_id=flag.ad_id,
                evidence={**flag.evidence, "ads_content_id": flag.ads_content_id},
                key=f"ad:{flag.ad_id}",
            )

    def pool(self, inputs: Inputs, variant_count: int) -> None:
        last = self.session.scalars(
            select(Commission.created_at)
            .where(Commission.customer_id == self.customer.id, Commission.status.in_(COOLDOWN_STATUSES))
            .order_by(Commission.created_at.desc())
            .limit(1)
        ).first()
        decision = rules.pool_action(
            inputs.eligible_pool, last, self.now, inputs.hook_source, self.policy.thresholds
        )
        action, reason, evidence = (
            decision.action,
            decision.reason,
            {**decision.evidence, "hook": decision.hook},
        )
        if action == rules.ACTION_COMMISSION and not self.policy.acting:
            action, reason = self.restrained(action, reason)
        commission = None
        if action == rules.ACTION_COMMISSION:
            commission = commissioning.reserve(
                self.session,
                customer_id=self.customer.id,
                run_id=self.run.id,
                decision_id=None,
                hook=decision.hook or "",
                hook_source_post_id=inputs.hook_source.platform_post_id if inputs.hook_source else None,
                variant_count=variant_count,
            )
            evidence["container_id"] = commission.container_id
        recorded = self.decide(
            action=action,
            reason=reason,
            subject_type="creative_pool",
            subject_id=self.customer.layers_project_id,
            evidence=evidence,
            key="pool",
        )
        if commission is not None:
            commission.decision_id = recorded.id

    def recommendations(self, inputs: Inputs, *, clone_request: tuple[str, int]) -> None:
        by_id = {r.view.recommendation_id: r for r in inputs.recommendations}
        for view in rules.dedupe_recommendations([r.view for r in inputs.recommendations]):
            item = by_id[view.recommendation_id]
            tracked = self._track(item)
            if tracked.local_status != "open":
                continue  # handled on an earlier day: never act twice on the same recommendation
            triage = rules.triage_recommendation(
                view, self.policy.thresholds, frozenset(self.customer.auto_approve_kinds)
            )
            self._handle(item, tracked, triage, inputs, clone_request)

    def _track(self, item: RecommendationInput) -> Recommendation:
        view = item.view
        tracked = self.session.scalars(
            select(Recommendation).where(
                Recommendation.customer_id == self.customer.id,
                Recommendation.kind == view.kind,
                Recommendation.subject_id == view.subject_id,
            )
        ).one_or_none()
        if tracked is None:
            tracked = Recommendation(
                customer_id=self.customer.id,
                recommendation_id=view.recommendation_id,
                kind=view.kind,
                subject_id=view.subject_id,
                confidence=view.confidence,
                local_status="open",
                payload={
                    "label": item.label,
                    "body": item.suggested_body,
                    "endpoint": view.suggested_endpoint,
                },
            )
            self.session.add(tracked)
            self.session.flush()
        return tracked

    def _handle(
        self,
        item: RecommendationInput,
        tracked: Recommendation,
        triage: rules.Triage,
        inputs: Inputs,
        clone_request: tuple[str, int],
    ) -> None:
        action, reason, evidence = triage.action, triage.reason, dict(triage.evidence)
        evidence["recommendation_id"] = triage.recommendation_id
        status = {"surface": "surfaced", "refuse": "dismissed", "pending_approval": "pending_approval"}.get(
            action, "acted_on"
        )
        clone = None
        if action == rules.ACTION_ACT and triage.kind == rules.KIND_REFRESH_FATIGUED:
            subject_ads = [
                ad for ad in inputs.ads if bare_id(ad.ads_content_id) == bare_id(item.view.subject_id)
            ]
            check = rules.cross_check_refresh(subject_ads)
            evidence["cross_check"] = {"action": check.action, "reason": check.reason, **check.evidence}
            if check.action == rules.ACTION_SKIP:
                action, reason, status = "skip", check.reason, "surfaced"
            elif item.source_post_id is None:
                action, reason, status = "skip", "no_source_post", "surfaced"
            elif not self.policy.acting:
                action, reason = self.restrained(action, reason)
                status = "open" if action == "skip" else "surfaced"
            else:
                clone = clones.reserve(
                    self.session,
                    customer_id=self.customer.id,
                    run_id=self.run.id,
                    decision_id=None,
                    source_post_id=item.source_post_id,
                    mode=clone_request[0],
                    variations=clone_request[1],
                    origin="recommendation",
                )
                if clone is None:
                    action, reason, status = "skip", "clone_cap_reached", "surfaced"
                else:
                    evidence.update(
                        source_post_id=item.source_post_id,
                        container_id=clone.container_id,
                        clone_slot=clone.slot,
                    )
        recorded = self.decide(
            action=action,
            reason=reason,
            subject_type="recommendation",
            subject_id=item.view.subject_id,
            evidence=evidence,
            key=f"rec:{item.view.kind}:{item.view.subject_id}",
        )
        if clone is not None:
            clone.decision_id = recorded.id
        needs_consent = action == rules.ACTION_PENDING_APPROVAL or (
            action == rules.ACTION_ACT and triage.kind != rules.KIND_REFRESH_FATIGUED
        )
        if needs_consent and item.view.suggested_endpoint and item.view.suggested_method:
            consent.propose(
                self.session,
                decision=recorded,
                kind=triage.kind,
                method=item.view.suggested_method,
                path=item.view.suggested_endpoint,
                body=item.suggested_body,
                recommendation=tracked,
                auto_approved=action == rules.ACTION_ACT,
            )
        tracked.local_status = status
        tracked.decision_id = recorded.id
