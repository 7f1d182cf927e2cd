"""the ops experience (issue 13): configuration audit, run attempts, heartbeats, removed customers

A change to a customer's configuration is recorded as a decision under the `loop` value
'configuration' (action 'configure', one reason per kind of change). Every attempt at a run keeps its own
row and error (`run_attempts`); each periodic tick leaves a heartbeat (`heartbeats`) for `agent health`
and the metrics; `agent customers remove` marks a customer removed and keeps its history. The ops role
(setting OPS_ROLE, handed over by migrations/env.py) may read the new tables.

The value lists are written out here, not imported: a migration is history.

Revision ID: e4d5f6a7b8c9
Revises: e3c4d5f6a7b8
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "e4d5f6a7b8c9"
down_revision: str | None = "e3c4d5f6a7b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOPS = ("publish_to_learn", "optimization", "weekly_review")
DECISION_LOOPS = (*LOOPS, "configuration")
NEW_ACTIONS = ("configure",)
NEW_REASONS = (
    "customer_added", "settings_changed", "customer_renamed", "schedule_paused", "schedule_resumed",
    "customer_removed",
)  # fmt: skip
ATTEMPT_OUTCOMES = ("running", "succeeded", "failed", "deferred", "abandoned")
NEW_TABLES = ("run_attempts", "heartbeats")


def _ops_role() -> str:
    """The read-only ops role (setting OPS_ROLE), handed over by migrations/env.py when the migration runs."""
    return str(context.config.attributes.get("ops_role", "agent_ops"))


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _loop_check(values: Sequence[str]) -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(op.f("ck_decisions_loop"), type_="check")
        batch.create_check_constraint(op.f("ck_decisions_loop"), _in("loop", values))


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.bulk_insert(
        sa.table("decision_actions", sa.column("value", sa.String)), [{"value": v} for v in NEW_ACTIONS]
    )
    op.bulk_insert(
        sa.table("decision_reasons", sa.column("value", sa.String)), [{"value": v} for v in NEW_REASONS]
    )
    _loop_check(DECISION_LOOPS)
    op.create_table(
        "run_attempts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), server_default="running", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("outcome", ATTEMPT_OUTCOMES), name=op.f("ck_run_attempts_outcome")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_attempts_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_attempts")),
    )
    op.create_index("ix_run_attempts_run", "run_attempts", ["run_id", "started_at"])
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT ON {', '.join(NEW_TABLES)} TO {_ops_role()}")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(f"REVOKE SELECT ON {', '.join(NEW_TABLES)} FROM {_ops_role()}")
    op.drop_index("ix_run_attempts_run", table_name="run_attempts")
    op.drop_table("run_attempts")
    op.drop_table("heartbeats")
    # Configuration changes go with the values that name them; the append-only trigger steps aside for it.
    if postgresql:
        op.execute("ALTER TABLE decisions DISABLE TRIGGER decisions_append_only")
    op.execute("DELETE FROM decisions WHERE loop = 'configuration'")
    if postgresql:
        op.execute("ALTER TABLE decisions ENABLE TRIGGER decisions_append_only")
    _loop_check(LOOPS)
    op.execute(f"DELETE FROM decision_reasons WHERE value IN ({', '.join(repr(v) for v in NEW_REASONS)})")
    op.execute(f"DELETE FROM decision_actions WHERE value IN ({', '.join(repr(v) for v in NEW_ACTIONS)})")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("removed_at")
