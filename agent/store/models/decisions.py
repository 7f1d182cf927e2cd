"""The decision table and the vocabulary tables its action, reason and subject type refer to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from agent.domain.vocabulary import (
    DECISION_LOOPS,
    Action,
    Reason,
    SubjectType,
)
from agent.store.models.base import Base, Id, Json, UTCDateTime, in_enum


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
        CheckConstraint(in_enum("loop", DECISION_LOOPS), name="loop"),  # the loops, and configuration changes
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
