"""job tracking and recovery (issues 11, 12): a poller that never abandons a job, lost-message detection, hand-off between loops

A job remembers Layers' own duration (the median of recent ones is when a new job of its kind is first
polled), how long a timed-out job is still reconciled, and the decision that recorded its timeout (the
reconciliation is recorded as a follow-up of it). Two new decision reasons: `job_timed_out` and
`job_reconciled`. The jobs table is granted whole to the ops role already, so its new columns are too.

Revision ID: e2b3c4d5f6a7
Revises: e1a2b3c4d5f6
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2b3c4d5f6a7"
down_revision: str | None = "e1a2b3c4d5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = ("job_timed_out", "job_reconciled")
reasons = sa.table("decision_reasons", sa.column("value", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("duration_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("reconcile_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column(
                "timeout_decision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch.create_foreign_key(
            op.f("fk_jobs_timeout_decision_id_decisions"), "decisions", ["timeout_decision_id"], ["id"]
        )
    op.create_index("ix_jobs_kind_finished", "jobs", ["kind", "status", "finished_at"])
    op.bulk_insert(reasons, [{"value": value} for value in REASONS])


def downgrade() -> None:
    op.execute(reasons.delete().where(reasons.c.value.in_(REASONS)))
    op.drop_index("ix_jobs_kind_finished", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(op.f("fk_jobs_timeout_decision_id_decisions"), type_="foreignkey")
        batch.drop_column("timeout_decision_id")
        batch.drop_column("reconcile_until")
        batch.drop_column("duration_s")
