"""The decision table: append-only, every row says what the agent did for a customer and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.observability import DECISIONS
from agent.store.dialect import insert
from agent.store.models import Decision


@dataclass(frozen=True)
class NewDecision:
    """A decision about to be recorded; `dedupe_key` makes recording it twice a no-op."""

    customer_id: int
    loop: str
    action: str
    reason: str
    subject_type: str | None = None
    subject_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None
    rule_version: str | None = None
    actor: str = "agent"
    parent_id: int | None = None
    dedupe_key: str | None = None


def record(session: Session, new: NewDecision) -> Decision:
    """Insert the decision, or return the one already recorded under the same dedupe key."""
    values = {
        "customer_id": new.customer_id,
        "run_id": new.run_id,
        "loop": new.loop,
        "action": new.action,
        "reason": new.reason,
        "subject_type": new.subject_type,
        "subject_id": new.subject_id,
        "evidence": new.evidence,
        "rule_version": new.rule_version,
        "actor": new.actor,
        "parent_id": new.parent_id,
        "dedupe_key": new.dedupe_key,
    }
    if new.dedupe_key is None:
        decision = Decision(**values)
        session.add(decision)
        session.flush()
        DECISIONS.labels(new.loop, new.action, new.reason).inc()
        return decision
    statement = (
        insert(session, Decision)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Decision.id)
    )
    if session.execute(statement).first() is not None:
        DECISIONS.labels(new.loop, new.action, new.reason).inc()
    return session.scalars(select(Decision).where(Decision.dedupe_key == new.dedupe_key)).one()


def for_run(session: Session, run_id: int) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.run_id == run_id).order_by(Decision.id)))
