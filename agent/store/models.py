"""The agent's memory: customers, runs, decisions, clones, commissions, jobs, recommendations, approvals.

The invariants that matter live here as constraints, so that no interleaving of workers can break them:
one run per (customer, loop, local date); at most five live clones per source post (a clone holds one
of five numbered slots); a container id or an idempotency key is used once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from agent.domain.vocabulary import (
    Action,
    ApprovalStatus,
    CloneOrigin,
    CustomerMode,
    JobStatus,
    LoopName,
    Reason,
    RecommendationStatus,
    RunStatus,
    Stage,
    SubjectType,
    Trigger,
    WorkKind,
    WorkStatus,
    values,
)
from agent.rules.thresholds import MAX_CLONE_SLOTS

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, enum: type[StrEnum]) -> str:
    """The CHECK that keeps a column inside its enum (a new value needs a migration, on purpose)."""
    return f"{column} IN ({', '.join(repr(v) for v in values(enum))})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(_in("stage", Stage), name="stage"),
        CheckConstraint(_in("mode", CustomerMode), name="mode"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    layers_project_id: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16), default="early", server_default="early")
    mode: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    run_at: Mapped[time] = mapped_column(Time, default=time(6, 0), server_default="06:00:00")
    threshold_overrides: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, server_default="{}")
    auto_approve_kinds: Mapped[list[str]] = mapped_column(Json, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), onupdate=func.now())


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("customer_id", "loop", "local_date", name="uq_runs_customer_loop_date"),
        CheckConstraint(_in("loop", LoopName), name="loop"),
        CheckConstraint(_in("status", RunStatus), name="status"),
        CheckConstraint(_in("trigger", Trigger), name="trigger"),
        Index("ix_runs_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    loop: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    trigger: Mapped[str] = mapped_column(String(16), default="schedule", server_default="schedule")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rule_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), onupdate=func.now())
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recovery point: once set, the run's decisions and minted ids are committed; a resume only sends.
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A running run whose lease lapsed was abandoned by a dead worker; the sweeper hands it on.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class DecisionAction(Base):
    """The known actions (`agent.domain.vocabulary.Action`): the decision table refers to them by key.

    Actions, reasons and subject types grow with every feature, so they are lookup tables rather than
    CHECKs: a migration adds a value with one INSERT (no constraint to rebuild, no table to re-validate),
    and a test holds the rows equal to the enums.
    """

    __tablename__ = "decision_actions"
    value: Mapped[str] = mapped_column(String(32), primary_key=True)


class DecisionReason(Base):
    """The known reasons (`agent.domain.vocabulary.Reason`)."""

    __tablename__ = "decision_reasons"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)


class SubjectKind(Base):
    """The known kinds of subject a decision is about (`agent.domain.vocabulary.SubjectType`)."""

    __tablename__ = "subject_types"
    value: Mapped[str] = mapped_column(String(32), primary_key=True)


VOCABULARY_TABLES: dict[type[StrEnum], type[DecisionAction] | type[DecisionReason] | type[SubjectKind]] = {
    Action: DecisionAction,
    Reason: DecisionReason,
    SubjectType: SubjectKind,
}


class Decision(Base):
    """Append-only: a decision is never updated or deleted (a PostgreSQL trigger refuses it)."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(_in("loop", LoopName), name="loop"),
        Index("ix_decisions_customer_created", "customer_id", "created_at"),
        Index("ix_decisions_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    loop: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), ForeignKey("decision_actions.value"))
    reason: Mapped[str] = mapped_column(String(64), ForeignKey("decision_reasons.value"))
    subject_type: Mapped[str | None] = mapped_column(String(32), ForeignKey("subject_types.value"))
    subject_id: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, server_default="{}")
    rule_version: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120), default="agent", server_default="agent")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    # Makes recording idempotent: a redelivered task re-records the same decision as a no-op.
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)


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
        CheckConstraint(_in("status", WorkStatus), name="status"),
        CheckConstraint(_in("loop", LoopName), name="loop"),
        CheckConstraint(_in("origin", CloneOrigin), name="origin"),
        Index("ix_clones_customer_source", "customer_id", "source_post_id"),
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
        CheckConstraint(_in("status", WorkStatus), name="status"),
        CheckConstraint(_in("loop", LoopName), name="loop"),
        Index("ix_commissions_customer_id", "customer_id"),
    )

    hook: Mapped[str] = mapped_column(Text)
    hook_source_post_id: Mapped[str | None] = mapped_column(String(200))
    variant_count: Mapped[int] = mapped_column(SmallInteger)


class Job(Base):
    """Durable polling state of one Layers job: the poller claims due rows with SKIP LOCKED."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JobStatus), name="status"),
        CheckConstraint(_in("kind", WorkKind), name="kind"),
        CheckConstraint("(clone_id IS NULL) <> (commission_id IS NULL)", name="one_owner"),
        Index("ix_jobs_due", "status", "next_poll_at"),
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


class Recommendation(Base):
    """Our own tracking of Layers' recommendations: Layers has no acknowledge endpoint."""

    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "subject_id", name="uq_recommendations_kind_subject"),
        CheckConstraint(_in("local_status", RecommendationStatus), name="local_status"),
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
    __table_args__ = (CheckConstraint(_in("status", ApprovalStatus), name="status"),)

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


class RunInput(Base):
    """What a run saw (`agent.domain.run_inputs`): kept with its plan, read by `agent why` and backtests."""

    __tablename__ = "run_inputs"
    __table_args__ = (
        CheckConstraint(_in("loop", LoopName), name="loop"),
        Index("ix_run_inputs_customer_date", "customer_id", "local_date"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    loop: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[date] = mapped_column(Date)
    rule_version: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


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


class WebhookEvent(Base):
    """The durable inbox of Layers webhook deliveries: committed before the 2xx, processed off the request
    path. One row per event id, so a redelivered event is stored once (CONTRACT §23.2-23.3)."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_received", "received_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
