"""webhook ingestion (issue 11): the durable inbox of Layers events, and the reasons of a clone's review

Each event is stored once per event id before the receiver answers 2xx; a worker claims unprocessed rows
with a lease and records what processing did (`outcome`).

Revision ID: e1a2b3c4d5f6
Revises: d4e6f8a0b2c4
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "e1a2b3c4d5f6"
down_revision: str | None = "d4e6f8a0b2c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OUTCOMES = ("handled", "already_done", "not_ours", "no_handler", "unknown_type", "failed")
REASONS = ("content_approved", "content_rejected")  # the customer reviewed a clone at Layers
reasons = sa.table("decision_reasons", sa.column("value", sa.String))


def _ops_role() -> str:
    """The read-only ops role (setting OPS_ROLE), handed over by migrations/env.py when the migration runs."""
    return str(context.config.attributes.get("ops_role", "agent_ops"))


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            f"outcome IN ({', '.join(repr(v) for v in OUTCOMES)})", name=op.f("ck_webhook_events_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_events_event_id")),
    )
    op.create_index("ix_webhook_events_received", "webhook_events", ["received_at"])
    op.create_index(
        "ix_webhook_events_unprocessed",
        "webhook_events",
        ["id"],
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.bulk_insert(reasons, [{"value": value} for value in REASONS])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT ON webhook_events TO {_ops_role()}")


def downgrade() -> None:
    op.execute(reasons.delete().where(reasons.c.value.in_(REASONS)))
    op.drop_index("ix_webhook_events_unprocessed", table_name="webhook_events")
    op.drop_index("ix_webhook_events_received", table_name="webhook_events")
    op.drop_table("webhook_events")
