"""Publish and learn: a completed clone's publication, its scheduled posts, and its one verdict."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from agent.domain.publishing import VERDICTS, PostStatus, PublicationStatus
from agent.store.models.base import Base, Id, Json, UTCDateTime, in_enum


class Publication(Base):
    """One container of a completed clone on its way to publication: the customer's review, consent, the
    schedule (an outbox row: its Idempotency-Key, slot and targets are committed before it is sent), and the
    end of its scheduled posts. `next_check_at` is when a tick looks at it again (also a claim's lease)."""

    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint(in_enum("status", PublicationStatus), name="status"),
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
        CheckConstraint(in_enum("status", PostStatus), name="status"),
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
        CheckConstraint(in_enum("verdict", tuple(str(v) for v in VERDICTS)), name="verdict"),
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
