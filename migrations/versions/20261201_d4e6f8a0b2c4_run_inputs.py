"""run inputs: what each run saw, kept with its plan

Revision ID: d4e6f8a0b2c4
Revises: c3d9e5f7a1b2
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "d4e6f8a0b2c4"
down_revision: str | None = "c3d9e5f7a1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOPS = ("publish_to_learn", "optimization", "weekly_review")


def _ops_role() -> str:
    """The read-only ops role (setting OPS_ROLE), handed over by migrations/env.py when the migration runs."""
    return str(context.config.attributes.get("ops_role", "agent_ops"))


def upgrade() -> None:
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("loop", sa.String(length=32), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=True),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(f"loop IN ({', '.join(repr(v) for v in LOOPS)})", name=op.f("ck_run_inputs_loop")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_run_inputs_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_inputs_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_inputs")),
    )
    op.create_index("ix_run_inputs_customer_date", "run_inputs", ["customer_id", "local_date"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT ON run_inputs TO {_ops_role()}")


def downgrade() -> None:
    op.drop_index("ix_run_inputs_customer_date", table_name="run_inputs")
    op.drop_table("run_inputs")
