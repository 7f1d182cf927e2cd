"""The decision table: append-only, every row says what the agent did for a customer and why."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.decisions import FollowUp, NewDecision, Subject
from agent.domain.evidence import Evidence, read_evidence
from agent.domain.vocabulary import LoopName, SubjectType
from agent.observability import DECISIONS
from agent.store.dialect import insert
from agent.store.models import Decision


def record(session: Session, new: NewDecision) -> int:
    """Insert the decision, or find the one already recorded under the same dedupe key; returns its id."""
    values = {
        "customer_id": new.customer_id,
        "run_id": new.run_id,
        "loop": new.loop,
        "action": new.action,
        "reason": new.reason,
        "subject_type": new.subject.type,
        "subject_id": new.subject.id,
        "evidence": new.evidence.to_json(),
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
        return decision.id
    statement = (
        insert(session, Decision)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Decision.id)
    )
    if session.execute(statement).first() is not None:
        DECISIONS.labels(new.loop, new.action, new.reason).inc()
    return session.scalars(select(Decision.id).where(Decision.dedupe_key == new.dedupe_key)).one()


def get(session: Session, *, decision_id: int) -> Decision | None:
    return session.get(Decision, decision_id)


def evidence_of(decision: Decision) -> Evidence:
    """The decision's evidence, typed."""
    return read_evidence(decision.reason, decision.subject_type, decision.evidence)


def subject_of(decision: Decision) -> Subject:
    return Subject(SubjectType(decision.subject_type or SubjectType.RUN), decision.subject_id or "")


def follow_up(session: Session, *, fact: FollowUp) -> int:
    """Record a later fact about a decision (approved, executed, rejected) as its own, linked decision."""
    parent = session.get_one(Decision, fact.parent_id)
    return record(
        session,
        NewDecision(
            customer_id=parent.customer_id,
            loop=LoopName(parent.loop),
            action=fact.action,
            reason=fact.reason,
            subject=subject_of(parent),
            evidence=fact.evidence,
            run_id=parent.run_id,
            actor=fact.actor,
            parent_id=fact.parent_id,
            dedupe_key=fact.dedupe_key,
        ),
    )


def for_run(session: Session, *, run_id: int) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.run_id == run_id).order_by(Decision.id)))
