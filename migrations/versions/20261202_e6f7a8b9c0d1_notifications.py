"""notifications and the web decision log (issue 14): the notification outbox, the health signals it
opens and clears, and the indexes the web pages' keyset pagination reads

Revision ID: e6f7a8b9c0d1
Revises: e5e6f7a8b9c0
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "e6f7a8b9c0d1"
down_revision: str | None = "e5e6f7a8b9c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = (
    "proposal_waiting",
    "spend_without_conversions",
    "run_failed",
    "attempts_exhausted",
    "health_signal",
    "health_cleared",
    "job_failure_spike",
    "day_late",
)
STATUSES = ("pending", "sent", "given_up")
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ops_role() -> str:
    """The read-only ops role (setting OPS_ROLE), handed over by migrations/env.py when the migration runs."""
    return str(context.config.attributes.get("ops_role", "agent_ops"))


def _in(column: str, allowed: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


# What the web log's pages read by (a keyset page over 100,000 decisions stays an index walk).
INDEXES = (
    ("ix_decisions_parent", "decisions", ["parent_id"]),
    ("ix_decisions_reason_id", "decisions", ["reason", "id"]),
    ("ix_clones_decision", "clones", ["decision_id"]),
    ("ix_commissions_decision", "commissions", ["decision_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_table(
        "health_signals",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("signal", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_health_signals_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_signals")),
    )
    op.create_index(
        "uq_health_signals_open",
        "health_signals",
        ["customer_id", "signal"],
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL"),
        sqlite_where=sa.text("cleared_at IS NULL"),
    )
    op.create_index("ix_health_signals_opened", "health_signals", ["opened_at"])
    op.create_table(
        "notifications",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("customer_id", Id, nullable=True),
        sa.Column("decision_id", Id, nullable=True),
        sa.Column("signal_id", Id, nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("digest", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("event", EVENTS), name=op.f("ck_notifications_event")),
        sa.CheckConstraint(_in("status", STATUSES), name=op.f("ck_notifications_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notifications_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_notifications_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["health_signals.id"],
            name=op.f("fk_notifications_signal_id_health_signals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("event_key", "channel", name="uq_notifications_event_channel"),
    )
    op.create_index(
        "ix_notifications_due", "notifications", ["due_at"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_index("ix_notifications_decision", "notifications", ["decision_id"])
    if op.get_bind().dialect.name == "postgresql":
        # channel names, texts and statuses only: no URL or credential is ever stored
        op.execute(f"GRANT SELECT ON notifications, health_signals TO {_ops_role()}")


def downgrade() -> None:
    op.drop_index("ix_notifications_decision", table_name="notifications")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_health_signals_opened", table_name="health_signals")
    op.drop_index("uq_health_signals_open", table_name="health_signals")
    op.drop_table("health_signals")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
