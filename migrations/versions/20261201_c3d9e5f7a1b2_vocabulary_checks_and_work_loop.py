"""vocabulary checks and tables, the loop on submitted work, refused approvals

Every status and kind column gets the CHECK that keeps it inside its enum (`agent/domain/vocabulary.py`).
A decision's action, reason and subject type, which grow with every feature, refer instead to lookup
tables seeded here (a later migration adds a value with one INSERT). Clones and commissions record the
loop they belong to; an approval can end `refused` (approved, but its method or path is one the agent
never sends).

The value lists are written out here, not imported: a migration is history and must not change when the
live code does.

Revision ID: c3d9e5f7a1b2
Revises: b7e1c2d3a4f5
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "c3d9e5f7a1b2"
down_revision: str | None = "b7e1c2d3a4f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOPS = ("publish_to_learn", "optimization", "weekly_review")
TRIGGERS = ("schedule", "manual", "demo")
ACTIONS = (
    "clone", "skip", "summary", "flag", "none", "commission", "act", "surface", "refuse", "pending_approval",
    "proceed", "shadow_clone", "shadow_commission", "shadow_act", "error", "approve", "reject", "execute",
)  # fmt: skip
REASONS = (
    "no_performance_data", "insufficient_data", "breakout", "clone_cap_reached", "run_budget_exhausted",
    "below_noise_floor", "below_engagement_floor", "not_breakout", "excluded_by_override", "daily_summary",
    "kill_switch", "customer_paused", "spend_without_conversions", "pool_healthy", "commission_cooldown",
    "no_hook_source", "thin_creative_pool", "unsafe_suggested_action", "unknown_kind", "refresh_fatigued",
    "changes_brand_configuration", "auto_approved_by_policy", "moderate_confidence", "low_confidence",
    "ads_metrics_disagree", "no_source_post", "no_paid_data", "no_conversions", "roas_below_breakeven",
    "weekly_review", "attempts_exhausted", "malformed_response", "layers_kill_switch", "layers_access_denied",
    "layers_not_found", "layers_rejected", "clone_rejected", "commission_rejected", "execution_failed",
    "approved_by_customer", "rejected_by_customer", "executed_after_approval", "unsafe_approved_action",
)  # fmt: skip
SUBJECT_TYPES = (
    "platform_post", "customer", "run", "ad", "creative_pool", "recommendation", "clone", "commission", "job",
)  # fmt: skip
ORIGINS = ("breakout", "recommendation", "prior")
WORK_KINDS = ("clone", "commission")
APPROVAL_STATUSES_BEFORE = ("pending", "approved", "rejected", "executed", "failed")
APPROVAL_STATUSES = (*APPROVAL_STATUSES_BEFORE, "refused")

CHECKS = {
    "runs": {"trigger": TRIGGERS},
    "decisions": {"loop": LOOPS},
    "clones": {"loop": LOOPS, "origin": ORIGINS},
    "commissions": {"loop": LOOPS},
    "jobs": {"kind": WORK_KINDS},
}


# lookup table -> (decisions column, length, seeded values)
VOCABULARY = {
    "decision_actions": ("action", 32, ACTIONS),
    "decision_reasons": ("reason", 64, REASONS),
    "subject_types": ("subject_type", 32, SUBJECT_TYPES),
}


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ops_role() -> str:
    """The read-only ops role (setting OPS_ROLE), handed over by migrations/env.py when the migration runs."""
    return str(context.config.attributes.get("ops_role", "agent_ops"))


def upgrade() -> None:
    for table, backfill in (
        ("clones", "CASE WHEN origin = 'recommendation' THEN 'optimization' ELSE 'publish_to_learn' END"),
        ("commissions", "'optimization'"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("loop", sa.String(length=32), nullable=True))
        op.execute(f"UPDATE {table} SET loop = {backfill}")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("loop", existing_type=sa.String(length=32), nullable=False)
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), _in(column, values))
    for table, (_, length, values) in VOCABULARY.items():
        lookup = op.create_table(
            table,
            sa.Column("value", sa.String(length=length), nullable=False),
            sa.PrimaryKeyConstraint("value", name=op.f(f"pk_{table}")),
        )
        op.bulk_insert(lookup, [{"value": value} for value in values])
    with op.batch_alter_table("decisions") as batch:
        for table, (column, _, _) in VOCABULARY.items():
            batch.create_foreign_key(op.f(f"fk_decisions_{column}_{table}"), table, [column], ["value"])
    with op.batch_alter_table("approvals") as batch:
        batch.drop_constraint(op.f("ck_approvals_status"), type_="check")
        batch.create_check_constraint(op.f("ck_approvals_status"), _in("status", APPROVAL_STATUSES))
    if op.get_bind().dialect.name == "postgresql":
        # The ops role reads clones and commissions column by column (their keys stay hidden).
        op.execute(f"GRANT SELECT (loop) ON clones, commissions TO {_ops_role()}")
        op.execute(f"GRANT SELECT ON {', '.join(VOCABULARY)} TO {_ops_role()}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE SELECT (loop) ON clones, commissions FROM {_ops_role()}")
        op.execute(f"REVOKE SELECT ON {', '.join(VOCABULARY)} FROM {_ops_role()}")
    op.execute("UPDATE approvals SET status = 'failed' WHERE status = 'refused'")
    with op.batch_alter_table("approvals") as batch:
        batch.drop_constraint(op.f("ck_approvals_status"), type_="check")
        batch.create_check_constraint(op.f("ck_approvals_status"), _in("status", APPROVAL_STATUSES_BEFORE))
    with op.batch_alter_table("decisions") as batch:
        for table, (column, _, _) in VOCABULARY.items():
            batch.drop_constraint(op.f(f"fk_decisions_{column}_{table}"), type_="foreignkey")
    for table in VOCABULARY:
        op.drop_table(table)
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    for table in ("clones", "commissions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("loop")
