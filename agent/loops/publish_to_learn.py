"""publish-to-learn: read the ranking, find breakouts, clone them, and record every decision.

The loop fetches and records; `agent.rules.publish` decides. See `agent.loops.runner` for the phases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from agent.domain.evidence import StageTopRow
from agent.domain.records import CustomerRecord, RunRecord
from agent.domain.vocabulary import LoopName
from agent.loops import readers, recording, submissions
from agent.loops.ports import Deps, Store
from agent.loops.recording import Planning
from agent.rules.policy import Policy
from agent.rules.publish import RANKING_METRIC, PublishDay, PublishInputs, decide_day, stage_metric


class PublishToLearn:
    name = LoopName.PUBLISH_TO_LEARN

    def fetch(self, deps: Deps, customer: CustomerRecord, policy: Policy, now: datetime) -> PublishInputs:
        settings, project = deps.settings, customer.layers_project_id
        window, top_n = settings.top_performers_window, policy.thresholds.top_n
        rows = readers.ranking(
            deps.client, project, metric=RANKING_METRIC, window=window, limit=settings.top_performers_limit
        )
        excluded = readers.excluded_post_ids(deps.client, project)
        metric = stage_metric(customer.stage)
        stage_rows = (
            rows
            if metric == RANKING_METRIC
            else readers.ranking(deps.client, project, metric=metric, window=window, limit=top_n)
        )
        return PublishInputs(
            project_id=project,
            stage=customer.stage,
            posts=tuple(readers.post_performance(row, excluded) for row in rows),
            stage_metric=metric,
            stage_top=tuple(
                StageTopRow(row.platform_post_id, row.title, metric, row.metric_value)
                for row in stage_rows[:top_n]
            ),
        )

    def load(self, store: Store, customer: CustomerRecord, now: datetime) -> Mapping[str, int]:
        return store.clone_counts(customer_id=customer.id)

    def decide(
        self, inputs: PublishInputs, known: Mapping[str, int], policy: Policy, now: datetime
    ) -> PublishDay:
        return decide_day(inputs, known, policy)

    def record(self, store: Store, planning: Planning, plan: PublishDay) -> None:
        for decided in plan.decisions:
            recording.record(store, planning, decided)
        store.save_run_input(run=planning.run, rule_version=planning.policy.rule_version, record=plan.record)

    def send(self, deps: Deps, run: RunRecord) -> None:
        submissions.send_pending(deps, run_id=run.id)
