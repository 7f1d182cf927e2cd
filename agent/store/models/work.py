"""Work sent to Layers and what decided it: clones (five numbered slots per source), commissions, their
jobs, recommendations, approvals and organic snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from agent.domain.vocabulary import (
    ApprovalStatus,
    CloneOrigin,
    JobStatus,
    LoopName,
    RecommendationStatus,
    WorkKind,
    WorkStatus,
)
from agent.rules.thresholds import MAX_CLONE_SLOTS
from agent.store.models.base import Base, Id, Json, UTCDateTime, in_enum


class SubmittedWork:
    """What every piece of work sent to Layers as a job carries: ids minted and committed before the send,
    one lifecycle (`WorkStatus`), and the loop it belongs to. Clones and commissions share it."""

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    loop: Mapped[str] = mapped_column(String(32))
    container_id: Mapped[str] = mapped_column(String(80), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    job_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=WorkStatus.PENDING, server_default="pending")
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class Clone(SubmittedWork, Base):
    """A clone of a source post. A live clone holds one of its source's five numbered slots."""

    __tablename__ = "clones"
    __table_args__ = (
        UniqueConstraint("customer_id", "source_post_id", "slot", name="uq_clones_source_slot"),
        CheckConstraint(f"slot BETWEEN 1 AND {MAX_CLONE_SLOTS}", name="slot_range"),
        CheckConstraint(in_enum("status", WorkStatus), name="status"),
        CheckConstraint(in_enum("loop", LoopName), name="loop"),
        CheckConstraint(in_enum("origin", CloneOrigin), name="origin"),
        Index("ix_clones_customer_source", "customer_id", "source_post_id"),
        Index("ix_clones_decision", "decision_id"),  # a decision's clone (explain, the web log)
    )

    source_post_id: Mapped[str] = mapped_column(String(200))
    # Failed and canceled clones give their slot back (slot = NULL).
    slot: Mapped[int | None] = mapped_column(SmallInteger)
    origin: Mapped[str] = mapped_column(String(32), default=CloneOrigin.BREAKOUT, server_default="breakout")
    mode: Mapped[str] = mapped_column(String(16))
    variations: Mapped[int] = mapped_column(SmallInteger)
    approval_status: Mapped[str | None] = mapped_column(String(32))


class Commission(SubmittedWork, Base):
    """A request for fresh creative (POST /v1/projects/:id/content); `container_id` is the body `id`."""

    __tablename__ = "commissions"
    __table_args__ = (
        CheckConstraint(in_enum("status", WorkStatus), name="status"),
        CheckConstraint(in_enum("loop", LoopName), name="loop"),
        Index("ix_commissions_customer_id", "customer_id"),
        Index("ix_commissions_decision", "decision_id"),  # a decision's commission (the web log)
    )

    hook: Mapped[str] = mapped_column(Text)
    hook_source_post_id: Mapped[str | None] = mapped_column(String(200))
    variant_count: Mapped[int] = mapped_column(SmallInteger)


class Job(Base):
    """Durable polling state of one Layers job: the poller claims due rows with SKIP LOCKED."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(in_enum("status", JobStatus), name="status"),
        CheckConstraint(in_enum("kind", WorkKind), name="kind"),
        CheckConstraint("(clone_id IS NULL) <> (commission_id IS NULL)", name="one_owner"),
        Index("ix_jobs_due", "status", "next_poll_at"),
        Index("ix_jobs_kind_finished", "kind", "status", "finished_at"),  # recent durations (issue 11)
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    clone_id: Mapped[int | None] = mapped_column(ForeignKey("clones.id", ondelete="CASCADE"), unique=True)
    commission_id: Mapped[int | None] = mapped_column(
        ForeignKey("commissions.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="running", server_default="running")
    stage: Mapped[str | None] = mapped_column(String(64))
    progress: Mapped[float | None] = mapped_column(Float)
    etag: Mapped[str | None] = mapped_column(String(200))
    poll_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    poll_interval_s: Mapped[float] = mapped_column(Float)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    # a poller that never abandons a job (issue 11): Layers' own duration (the median of recent ones is
    # when a job of the kind is first polled); a timed-out job is reconciled until `reconcile_until`, and
    # the reconciliation is recorded as a follow-up of the decision that recorded the timeout
    duration_s: Mapped[float | None] = mapped_column(Float)
    reconcile_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timeout_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class Recommendation(Base):
    """Our own tracking of Layers' recommendations: Layers has no acknowledge endpoint."""

    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "subject_id", name="uq_recommendations_kind_subject"),
        CheckConstraint(in_enum("local_status", RecommendationStatus), name="local_status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    recommendation_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(200))
    confidence: Mapped[float] = mapped_column(Float)
    local_status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, server_default="{}")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), onupdate=func.now())


class Approval(Base):
    """An action waiting for the customer's consent, keyed by the decision that proposed it."""

    __tablename__ = "approvals"
    __table_args__ = (CheckConstraint(in_enum("status", ApprovalStatus), name="status"),)

    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    body: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Minted with the proposal so that an execution retried after a crash is replayed, not repeated.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)


class OrganicSnapshot(Base):
    """One row per customer and day: the average organic score, to spot a falling trend."""

    __tablename__ = "organic_snapshots"
    __table_args__ = (UniqueConstraint("customer_id", "snapshot_date", name="uq_organic_snapshots_day"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    snapshot_date: Mapped[date] = mapped_column(Date)
    average_organic_score: Mapped[float | None] = mapped_column(Float)
    scored_items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # None when Layers did not report it: "unknown" must not read as "published nothing"
    posts_published_14d: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
