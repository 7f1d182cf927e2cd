"""The weekly review: what the ads did last week, per creative, and which creatives drove conversions.

It only reads and records: one summary decision, the input to next week's briefs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.loops.optimization import ad_spend_rows
from agent.loops.policy import policy_for
from agent.loops.runner import lock_unplanned
from agent.rules.review import PerformerRow, weekly_review
from agent.services import Services
from agent.store.decisions import NewDecision, record
from agent.store.models import Customer, Run

NAME = "weekly_review"
REVIEW_DAYS = 7
TOP_PERFORMERS_LIMIT = 10


class WeeklyReview:
    name = NAME

    def plan(self, services: Services, *, run: Run, customer: Customer, now: datetime) -> None:
        policy = policy_for(customer, services.settings)
        window = (now - timedelta(days=REVIEW_DAYS), now)
        ads = ad_spend_rows(services, customer, window)
        performers = services.client.top_performers(
            customer.layers_project_id, metric="conversions", window="7d", limit=TOP_PERFORMERS_LIMIT
        ).items
        summary = weekly_review(
            ads,
            [PerformerRow(row.platform_post_id, row.title, row.metric_value) for row in performers],
            window,
        )
        with services.db.session() as session:
            locked = lock_unplanned(session, run.id)
            if locked is None:
                return
            record(
                session,
                NewDecision(
                    customer_id=customer.id,
                    run_id=run.id,
                    loop=NAME,
                    action="summary",
                    reason="weekly_review",
                    subject_type="customer",
                    subject_id=customer.layers_project_id,
                    evidence=summary.as_evidence(),
                    rule_version=policy.rule_version,
                    dedupe_key=f"run:{run.id}:summary",
                ),
            )
            locked.planned_at = now
            locked.rule_version = policy.rule_version

    def execute(self, services: Services, *, run_id: int, now: datetime) -> None:
        """Nothing to send: the review only reads."""
