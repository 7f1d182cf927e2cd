"""Every change to a customer's configuration, recorded in the decision table: who made it, and each
field before and after (loop `configuration`, action `configure`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from agent.domain.evidence import ConfigurationChange, FieldChange
from agent.domain.vocabulary import CONFIGURATION, Action, Reason, SubjectType
from agent.observability import DECISIONS
from agent.store.models import Customer, Decision

# Bookkeeping, not configuration.
NOT_AUDITED = frozenset({"id", "created_at", "updated_at"})


def _plain(value: Any) -> Any:
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(value) if all(isinstance(v, str) for v in value) else list(value)
    return value


def snapshot(customer: Customer) -> dict[str, Any]:
    """The customer's configuration as JSON values: every column but the bookkeeping ones."""
    return {
        column.key: _plain(getattr(customer, column.key))
        for column in Customer.__table__.columns
        if column.key not in NOT_AUDITED
    }


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    return [
        FieldChange(field=name, before=before.get(name), after=after.get(name))
        for name in after
        if before.get(name) != after.get(name)
    ]


def record(
    session: Session,
    *,
    customer: Customer,
    reason: Reason,
    changed: Sequence[FieldChange],
    actor: str,
    note: str | None = None,
) -> int:
    """One configuration decision about the customer; returns its id."""
    decision = Decision(
        customer_id=customer.id,
        run_id=None,
        loop=CONFIGURATION,
        action=Action.CONFIGURE,
        reason=reason,
        subject_type=SubjectType.CUSTOMER,
        subject_id=customer.layers_project_id,
        evidence=ConfigurationChange(changes=tuple(changed), note=note).to_json(),
        actor=actor,
    )
    session.add(decision)
    session.flush()
    DECISIONS.labels(CONFIGURATION, Action.CONFIGURE, reason).inc()
    return decision.id
