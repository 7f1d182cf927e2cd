"""publish and learn (issue 15): scheduled clones, their posts and verdicts

Approved clones go live: a publication per container of a completed clone (its review, consent, and the
schedule as an outbox row whose Idempotency-Key is committed before the request), the scheduled posts it is
followed through, and one verdict per clone. Customers get an auto-schedule policy and a posting slot. The
new actions, reasons and subject types are rows of the vocabulary tables.

Revision ID: e5e6f7a8b9c0
Revises: e4d5f6a7b8c9
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "e5e6f7a8b9c0"
down_revision: str | None = "e4d5f6a7b8c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLICATION_STATUSES = (
    "awaiting_review", "pending_schedule", "ready", "scheduling", "blocked", "scheduled", "published", "failed",
    "rejected", "declined", "expired",
)  # fmt: skip
POST_STATUSES = ("queued", "publishing", "published", "failed", "canceled", "draft")
VERDICTS = ("won", "lost", "inconclusive")
ACTIONS = ("schedule", "pending_schedule", "shadow_schedule", "observe", "clone_outcome")
REASONS = (
    "clone_approved", "schedule_needs_consent", "no_connected_account", "account_needs_reauth", "post_scheduled",
    "schedule_blocked_on_approval", "schedule_promoted", "promotion_failed", "approval_required",
    "schedule_rejected", "post_published", "post_failed", "post_canceled", "review_expired", "won", "lost",
    "inconclusive", "clones_underperform", "threshold_review", "invalid_metrics", "ads_not_running",
    "fatigue_confirmed", "ads_running",
)  # fmt: skip
SUBJECT_TYPES = ("container", "scheduled_post")
VOCABULARY = {"decision_actions": ACTIONS, "decision_reasons": REASONS, "subject_types": SUBJECT_TYPES}
# The ops role reads every publication column but its Idempotency-Key.
PUBLICATION_COLUMNS = (
    "id, customer_id, clone_id, container_id, status, approval_status, next_check_at, proposal_id, "
    "schedule_decision_id, scheduled_for, targets, attempts, created_at, updated_at, ended_at"
)

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
When = sa.DateTime(timezone=True)


def _in(column: str, allowed: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


def _ops_role() -> str:
    """The read-only ops role (setting OPS_ROLE), handed over by migrations/env.py when the migration runs."""
    return str(context.config.attributes.get("ops_role", "agent_ops"))


def _fk(table: str, column: str, target: str, *, cascade: bool = False) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE" if cascade else None,
    )


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("auto_schedule", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch.add_column(sa.Column("posting_at", sa.Time(), nullable=True))
    op.create_table(
        "publications",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("clone_id", Id, nullable=False),
        sa.Column("container_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approval_status", sa.String(length=32), nullable=True),
        sa.Column("next_check_at", When, nullable=False),
        sa.Column("proposal_id", Id, nullable=True),
        sa.Column("schedule_decision_id", Id, nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("scheduled_for", When, nullable=True),
        sa.Column("targets", Json, server_default="[]", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("ended_at", When, nullable=True),
        sa.CheckConstraint(_in("status", PUBLICATION_STATUSES), name=op.f("ck_publications_status")),
        _fk("publications", "clone_id", "clones", cascade=True),
        _fk("publications", "customer_id", "customers", cascade=True),
        _fk("publications", "proposal_id", "decisions"),
        _fk("publications", "schedule_decision_id", "decisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("container_id", name=op.f("uq_publications_container_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_publications_idempotency_key")),
    )
    op.create_index("ix_publications_clone", "publications", ["clone_id"])
    op.create_index("ix_publications_due", "publications", ["status", "next_check_at"])
    op.create_table(
        "scheduled_posts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("publication_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("scheduled_post_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("social_account_id", sa.String(length=80), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=True),
        sa.Column("scheduled_for", When, nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("external_url", sa.Text(), nullable=True),
        sa.Column("published_at", When, nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("next_poll_at", When, nullable=False),
        sa.Column("lease_until", When, nullable=True),
        sa.Column("polls", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("ended_at", When, nullable=True),
        sa.CheckConstraint(_in("status", POST_STATUSES), name=op.f("ck_scheduled_posts_status")),
        _fk("scheduled_posts", "customer_id", "customers", cascade=True),
        _fk("scheduled_posts", "publication_id", "publications", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_posts")),
        sa.UniqueConstraint("scheduled_post_id", name=op.f("uq_scheduled_posts_scheduled_post_id")),
    )
    op.create_index("ix_scheduled_posts_due", "scheduled_posts", ["status", "next_poll_at"])
    op.create_index("ix_scheduled_posts_publication", "scheduled_posts", ["publication_id"])
    op.create_table(
        "clone_outcomes",
        sa.Column("clone_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("source_post_id", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("decision_id", Id, nullable=False),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.Column("engagement_rate", sa.Float(), nullable=True),
        sa.Column("lift_vs_parent", sa.Float(), nullable=True),
        sa.Column("lift_vs_median", sa.Float(), nullable=True),
        sa.Column("judged_at", When, nullable=False),
        sa.CheckConstraint(_in("verdict", VERDICTS), name=op.f("ck_clone_outcomes_verdict")),
        _fk("clone_outcomes", "clone_id", "clones", cascade=True),
        _fk("clone_outcomes", "customer_id", "customers", cascade=True),
        _fk("clone_outcomes", "decision_id", "decisions"),
        sa.PrimaryKeyConstraint("clone_id", name=op.f("pk_clone_outcomes")),
    )
    op.create_index("ix_clone_outcomes_customer", "clone_outcomes", ["customer_id", "clone_id"])
    for table, rows in VOCABULARY.items():
        op.bulk_insert(sa.table(table, sa.column("value", sa.String)), [{"value": v} for v in rows])
    if op.get_bind().dialect.name == "postgresql":
        role = _ops_role()
        op.execute(f"GRANT SELECT ON scheduled_posts, clone_outcomes TO {role}")
        op.execute(f"GRANT SELECT ({PUBLICATION_COLUMNS}) ON publications TO {role}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        role = _ops_role()
        op.execute(f"REVOKE SELECT ON scheduled_posts, clone_outcomes FROM {role}")
        op.execute(f"REVOKE SELECT ({PUBLICATION_COLUMNS}) ON publications FROM {role}")
    for table, rows in VOCABULARY.items():
        vocabulary = sa.table(table, sa.column("value", sa.String))
        op.execute(vocabulary.delete().where(vocabulary.c.value.in_(rows)))
    op.drop_index("ix_clone_outcomes_customer", table_name="clone_outcomes")
    op.drop_table("clone_outcomes")
    op.drop_index("ix_scheduled_posts_publication", table_name="scheduled_posts")
    op.drop_index("ix_scheduled_posts_due", table_name="scheduled_posts")
    op.drop_table("scheduled_posts")
    op.drop_index("ix_publications_due", table_name="publications")
    op.drop_index("ix_publications_clone", table_name="publications")
    op.drop_table("publications")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("posting_at")
        batch.drop_column("auto_schedule")
