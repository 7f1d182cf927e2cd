"""Customers and their runs: one run per (customer, loop, local date), each attempt, the input it saw,
the calls it cost, and the periodic ticks' heartbeats."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from agent.domain.vocabulary import (
    AttemptOutcome,
    CustomerMode,
    LoopName,
    RunStatus,
    Stage,
    Trigger,
)
from agent.store.models.base import Base, Id, Json, UTCDateTime, in_enum


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(in_enum("stage", Stage), name="stage"),
        CheckConstraint(in_enum("mode", CustomerMode), name="mode"),
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
        CheckConstraint(in_enum("loop", LoopName), name="loop"),
        CheckConstraint(in_enum("status", RunStatus), name="status"),
        CheckConstraint(in_enum("trigger", Trigger), name="trigger"),
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


class RunAttempt(Base):
    """One attempt at a run (issue 13): when a worker claimed it, how it ended and with what error, so
    `agent runs` shows every attempt's error, not only the last one."""

    __tablename__ = "run_attempts"
    __table_args__ = (
        CheckConstraint(in_enum("outcome", AttemptOutcome), name="outcome"),
        Index("ix_run_attempts_run", "run_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="running", server_default="running")
    error: Mapped[str | None] = mapped_column(Text)


class RunInput(Base):
    """What a run saw (`agent.domain.run_inputs`): kept with its plan, read by `agent why` and backtests."""

    __tablename__ = "run_inputs"
    __table_args__ = (
        CheckConstraint(in_enum("loop", LoopName), name="loop"),
        Index("ix_run_inputs_customer_date", "customer_id", "local_date"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    loop: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[date] = mapped_column(Date)
    rule_version: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


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


class Heartbeat(Base):
    """When each periodic tick last ran to the end (issue 13): `agent health` and the metrics tell from it
    whether beat and the dispatcher are alive."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
