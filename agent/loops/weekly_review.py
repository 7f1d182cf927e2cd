"""The weekly review: what the ads did last week, per creative, and which creatives drove conversions.

It only reads and records: one summary decision, the input to next week's briefs.
"""

from __future__ import annotations

from datetime import datetime

from agent.domain.decisions import Decided
from agent.domain.records import CustomerRecord, RunRecord
from agent.domain.vocabulary import LoopName
from agent.loops import readers, recording
from agent.loops.ports import Deps, Store
from agent.loops.recording import Planning
from agent.rules.ads import window_days
from agent.rules.policy import Policy
from agent.rules.review import ReviewInputs, decide_review, settled_window

TOP_PERFORMERS_LIMIT = 10


class WeeklyReview:
    name = LoopName.WEEKLY_REVIEW

    def fetch(self, deps: Deps, customer: CustomerRecord, policy: Policy, now: datetime) -> ReviewInputs:
        settings, window_label = deps.settings, deps.settings.weekly_review_window
        settle = settings.settle_delay_hours
        window = settled_window(now, days=window_days(window_label), settle_hours=settle)
        project = customer.layers_project_id
        ads = readers.ad_spend(deps.client, project, window)
        performers = readers.conversion_performers(
            deps.client, project, window=window_label, limit=TOP_PERFORMERS_LIMIT
        )
        return ReviewInputs(project, ads, tuple(performers), window, settle_hours=settle)

    def load(self, store: Store, customer: CustomerRecord, now: datetime) -> None:
        return None

    def decide(self, inputs: ReviewInputs, known: None, policy: Policy, now: datetime) -> Decided:
        return decide_review(inputs)

    def record(self, store: Store, planning: Planning, plan: Decided) -> None:
        recording.record(store, planning, plan)

    def send(self, deps: Deps, run: RunRecord) -> None:
        """Nothing to send: the review only reads."""
