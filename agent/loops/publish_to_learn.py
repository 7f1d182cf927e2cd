"""publish-to-learn: read the ranking and the pool, find breakouts, clone them, and record every decision.

The loop fetches and records; `agent.rules.publish` decides. See `agent.loops.runner` for the phases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agent.domain.records import CustomerRecord, RunRecord
from agent.domain.vocabulary import LoopName
from agent.loops import readers, recording, submissions
from agent.loops.ports import Deps, Store
from agent.loops.recording import Planning
from agent.rules.backtest import RecordedDay
from agent.rules.learning import Learned, decisive
from agent.rules.policy import Policy
from agent.rules.publish import PublishDay, PublishInputs, decide_day, stage_metric
from agent.rules.schedule import local_date
from agent.rules.threshold_review import threshold_review, with_review

REVIEW_HISTORY_DAYS = 30  # the recorded days a threshold review replays as its evidence


@dataclass(frozen=True)
class PublishKnown:
    """What the agent remembers for a publish-to-learn run: clone counts, earlier verdicts, and (only when a
    threshold review may be due) the recorded days its backtest replays."""

    clone_counts: Mapping[str, int]
    learned: Learned = field(default_factory=Learned)
    history: tuple[RecordedDay, ...] = ()


class PublishToLearn:
    name = LoopName.PUBLISH_TO_LEARN

    def fetch(self, deps: Deps, customer: CustomerRecord, policy: Policy, now: datetime) -> PublishInputs:
        """Two reads: the whole creative pool (the exclusions; kept for the day's optimization run) and the
        ranking, which also gives the summary's top 3 by the stage metric."""
        settings, project = deps.settings, customer.layers_project_id
        pool = readers.pool(deps.client, project)
        posts = readers.ranking(
            deps.client,
            project,
            window=settings.top_performers_window,
            limit=settings.top_performers_limit,
            excluded=readers.excluded_post_ids(pool),
        )
        metric = stage_metric(customer.stage)
        return PublishInputs(
            project_id=project,
            stage=customer.stage,
            posts=posts,
            stage_metric=metric,
            stage_top=readers.stage_top(posts, metric, policy.thresholds.top_n),
            pool=pool,
        )

    def load(self, store: Store, customer: CustomerRecord, now: datetime) -> PublishKnown:
        learned = store.learned(customer_id=customer.id)
        newest = decisive(learned.verdicts)
        history: tuple[RecordedDay, ...] = ()
        if newest and newest[0].clone_id != learned.last_review_clone_id:  # a review may be due
            since = local_date(now, customer.timezone) - timedelta(days=REVIEW_HISTORY_DAYS)
            history = tuple(store.recorded_days(customer_id=customer.id, since=since))
        return PublishKnown(store.clone_counts(customer_id=customer.id), learned, history)

    def decide(self, inputs: PublishInputs, known: PublishKnown, policy: Policy, now: datetime) -> PublishDay:
        day = decide_day(inputs, known.clone_counts, policy, outcomes=known.learned.outcomes)
        review = threshold_review(known.learned, known.history, policy.thresholds, inputs.project_id)
        return with_review(day, review)

    def record(self, store: Store, planning: Planning, plan: PublishDay) -> None:
        for decided in plan.decisions:
            recording.record(store, planning, decided)
        store.save_run_input(run=planning.run, rule_version=planning.policy.rule_version, record=plan.record)

    def send(self, deps: Deps, run: RunRecord) -> None:
        submissions.send_pending(deps, run_id=run.id)
