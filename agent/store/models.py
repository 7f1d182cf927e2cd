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

from agent.domain.publishing import VERDICTS, PostStatus, PublicationStatus
from agent.domain.vocabulary import (
    DECISION_LOOPS,
    Action,
    ApprovalStatus,
    AttemptOutcome,
    CloneOrigin,
    CustomerMode,
    InboxOutcome,
    JobStatus,
    LoopName,
    NotificationStatus,
    NotifyEvent,
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


def _in(column: str, enum: type[StrEnum] | tuple[str, ...]) -> str:
    """The CHECK that keeps a column inside its enum (a new value needs a migration, on purpose)."""
    allowed = enum if isinstance(enum, tuple) else values(enum)
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


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
    # `agent customers remove`: disabled for good, its history kept (issue 13)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # publish and learn (issue 15): schedule approved clones without asking; the local posting slot (NULL:
    # the DEFAULT_POSTING_AT setting)
    auto_schedule: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    posting_at: Mapped[time | None] = mapped_column(Time)


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
        CheckConstraint(_in("loop", DECISION_LOOPS), name="loop"),  # the loops, and configuration changes
        Index("ix_decisions_customer_created", "customer_id", "created_at"),
        Index("ix_decisions_run", "run_id"),
        # the web log (issue 14): follow-ups of a decision, and a reason filter paged by id
        Index("ix_decisions_parent", "parent_id"),
        Index("ix_decisions_reason_id", "reason", "id"),
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
        CheckConstraint(_in("status", WorkStatus), name="status"),
        CheckConstraint(_in("loop", LoopName), name="loop"),
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
        CheckConstraint(_in("status", JobStatus), name="status"),
        CheckConstraint(_in("kind", WorkKind), name="kind"),
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
    __table_args__ = (
        Index("ix_webhook_events_received", "received_at"),
        # what the worker claims: the unprocessed rows, oldest first
        Index("ix_webhook_events_unprocessed", "id", postgresql_where=text("processed_at IS NULL")),
        CheckConstraint(_in("outcome", InboxOutcome), name="outcome"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    # A claim is a lease, not a lock held across Layers calls; a retry waits for it to lapse.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))


class HealthSignal(Base):
    """A health signal (`agent.rules.health`) while it is crossed: opened once, cleared once (issue 14).

    At most one open row per customer and signal (a partial unique index), so the periodic evaluation
    opens and clears each signal exactly once however often it runs, and an open signal is never re-sent.
    """

    __tablename__ = "health_signals"
    __table_args__ = (
        Index(
            "uq_health_signals_open",
            "customer_id",
            "signal",
            unique=True,
            postgresql_where=text("cleared_at IS NULL"),
            sqlite_where=text("cleared_at IS NULL"),
        ),
        Index("ix_health_signals_opened", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """The notification outbox (issue 14): one row per event and channel, written in the transaction of the
    decision (or signal) that caused it, sent by the beat-driven sender, never sent again once marked.

    `channel` is the channel's NAME from NOTIFY_URLS: the URL itself (a secret) is never stored.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_key", "channel", name="uq_notifications_event_channel"),
        CheckConstraint(_in("event", NotifyEvent), name="event"),
        CheckConstraint(_in("status", NotificationStatus), name="status"),
        # what the sender claims: the unsent rows that are due
        Index("ix_notifications_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_notifications_decision", "decision_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("health_signals.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # when it is due: now, the next retry after a failure, or the channel's next digest
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # a claim is a lease: a sender that died mid-send leaves the row to be claimed again once it lapses
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class RunAttempt(Base):
    """One attempt at a run (issue 13): when a worker claimed it, how it ended and with what error, so
    `agent runs` shows every attempt's error, not only the last one."""

    __tablename__ = "run_attempts"
    __table_args__ = (
        CheckConstraint(_in("outcome", AttemptOutcome), name="outcome"),
        Index("ix_run_attempts_run", "run_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="running", server_default="running")
    error: Mapped[str | None] = mapped_column(Text)


class Heartbeat(Base):
    """When each periodic tick last ran to the end (issue 13): `agent health` and the metrics tell from it
    whether beat and the dispatcher are alive."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RunCall(Base):
    """The Layers calls one run cost, by route (issue 12): every attempt, job polls of the run's jobs
    included, counted by the client's `on_response` hook (`agent.call_meter`). `agent capacity` and the
    fleet benchmark measure calls per customer-day from them."""

    __tablename__ = "run_calls"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[str] = mapped_column(String(8), primary_key=True)
    route: Mapped[str] = mapped_column(String(200), primary_key=True)
    endpoint_class: Mapped[str] = mapped_column(String(16))
    calls: Mapped[int] = mapped_column(Integer)
    rate_limited: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 429 answers


# ---- publish and learn (issue 15) ------------------------------------------------------------------


class Publication(Base):
    """One container of a completed clone on its way to publication: the customer's review, consent, the
    schedule (an outbox row: its Idempotency-Key, slot and targets are committed before it is sent), and the
    end of its scheduled posts. `next_check_at` is when a tick looks at it again (also a claim's lease)."""

    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint(_in("status", PublicationStatus), name="status"),
        Index("ix_publications_due", "status", "next_check_at"),
        Index("ix_publications_clone", "clone_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    clone_id: Mapped[int] = mapped_column(ForeignKey("clones.id", ondelete="CASCADE"))
    container_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    approval_status: Mapped[str | None] = mapped_column(String(32))
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    schedule_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    targets: Mapped[list[str]] = mapped_column(Json, default=list, server_default="[]")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScheduledPost(Base):
    """A post Layers scheduled for a publication, followed until it ends (claimed with SKIP LOCKED)."""

    __tablename__ = "scheduled_posts"
    __table_args__ = (
        CheckConstraint(_in("status", PostStatus), name="status"),
        Index("ix_scheduled_posts_due", "status", "next_poll_at"),
        Index("ix_scheduled_posts_publication", "publication_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    scheduled_post_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    social_account_id: Mapped[str | None] = mapped_column(String(80))
    platform: Mapped[str | None] = mapped_column(String(32))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String(200))
    external_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    polls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CloneOutcome(Base):
    """A clone's one verdict (the primary key makes a second impossible), kept for the next days to learn
    from: `clones_underperform` per source, and the customer's hit rate."""

    __tablename__ = "clone_outcomes"
    __table_args__ = (
        CheckConstraint(_in("verdict", tuple(str(v) for v in VERDICTS)), name="verdict"),
        Index("ix_clone_outcomes_customer", "customer_id", "clone_id"),
    )

    clone_id: Mapped[int] = mapped_column(ForeignKey("clones.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source_post_id: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    views: Mapped[int | None] = mapped_column(Integer)
    engagement_rate: Mapped[float | None] = mapped_column(Float)
    lift_vs_parent: Mapped[float | None] = mapped_column(Float)
    lift_vs_median: Mapped[float | None] = mapped_column(Float)
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime)
