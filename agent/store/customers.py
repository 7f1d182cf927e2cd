"""Customers: one Layers project each, with their local schedule, stage, mode and overrides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from sqlalchemy import Engine, func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.domain.records import CustomerRecord
from agent.domain.vocabulary import CustomerMode, Reason, Stage
from agent.rules.capacity import ScheduleGroup
from agent.rules.customer_plan import Plan
from agent.store import audit
from agent.store.models import Customer


class CustomerNotFound(LookupError):
    """No customer matches the given name, external id, project id or numeric id."""


class CustomerExists(ValueError):
    """A customer with this project id, name or external id is already registered."""


def add(
    session: Session,
    *,
    layers_project_id: str,
    name: str,
    timezone: str,
    external_id: str | None = None,
    stage: Stage = Stage.EARLY,
    mode: CustomerMode = CustomerMode.ACTIVE,
    run_at: time = time(6, 0),
    threshold_overrides: dict[str, Any] | None = None,
    auto_approve_kinds: Sequence[str] = (),
) -> Customer:
    customer = Customer(
        layers_project_id=layers_project_id,
        name=name,
        timezone=timezone,
        external_id=external_id,
        stage=stage,
        mode=mode,
        run_at=run_at,
        threshold_overrides=dict(threshold_overrides or {}),
        auto_approve_kinds=list(auto_approve_kinds),
    )
    try:
        with session.begin_nested():
            session.add(customer)
            session.flush()
    except IntegrityError:
        raise CustomerExists("a customer with this project id, name or external id already exists") from None
    return customer


def to_record(customer: Customer) -> CustomerRecord:
    return CustomerRecord(
        id=customer.id,
        layers_project_id=customer.layers_project_id,
        name=customer.name,
        timezone=customer.timezone,
        stage=Stage(customer.stage),
        mode=CustomerMode(customer.mode),
        enabled=customer.enabled,
        run_at=customer.run_at,
        external_id=customer.external_id,
        threshold_overrides=dict(customer.threshold_overrides or {}),
        auto_approve_kinds=frozenset(customer.auto_approve_kinds or ()),
        auto_schedule=bool(customer.auto_schedule),
        posting_at=customer.posting_at,
    )


def find(session: Session, *, ref: str | int) -> Customer:
    """Resolve a customer from what ops type: numeric id, name, external id or Layers project id."""
    ref_text = str(ref)
    clauses = [
        Customer.name == ref_text,
        Customer.external_id == ref_text,
        Customer.layers_project_id == ref_text,
    ]
    if ref_text.isdigit():
        clauses.append(Customer.id == int(ref_text))
    matches = session.scalars(select(Customer).where(or_(*clauses))).all()
    if not matches:
        raise CustomerNotFound(f"no customer matches {ref_text!r} (id, name, external id or project id)")
    if len(matches) > 1:
        exact_id = [c for c in matches if ref_text.isdigit() and c.id == int(ref_text)]
        if exact_id:
            return exact_id[0]
        raise CustomerNotFound(f"{ref_text!r} matches {len(matches)} customers; use the numeric id")
    return matches[0]


def get(session: Session, *, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(f"no customer with id {customer_id}")
    return customer


def get_record(session: Session, *, customer_id: int) -> CustomerRecord:
    return to_record(get(session, customer_id=customer_id))


def by_project(session: Session, *, layers_project_id: str) -> Customer | None:
    return session.scalars(
        select(Customer).where(Customer.layers_project_id == layers_project_id)
    ).one_or_none()


def list_all(session: Session) -> Sequence[Customer]:
    return session.scalars(select(Customer).order_by(Customer.id)).all()


def timezones(session: Session) -> list[str]:
    """Every timezone a customer lives in (the ops commands' local dates are per timezone)."""
    return list(session.scalars(select(Customer.timezone).distinct().order_by(Customer.timezone)))


# ---- bulk customers and capacity (issue 12) --------------------------------------------------------------


def records(session: Session) -> list[CustomerRecord]:
    """Every customer as a plain record (import and sync plan against them)."""
    return [to_record(customer) for customer in list_all(session)]


def apply_plan(session: Session, *, plan: Plan, actor: str) -> None:
    """Add the planned customers and write each update's changed fields, each recorded as a configuration
    decision by `actor` (`customer_added`, `settings_changed`); CustomerExists when a unique key was taken
    meanwhile (nothing of the plan is then kept)."""
    try:
        with session.begin_nested():
            added = [
                Customer(**{**vars(fields), "auto_approve_kinds": list(fields.auto_approve_kinds)})
                for fields in plan.adds
            ]
            session.add_all(added)
            session.flush()
            for customer in added:
                changed = audit.changes({}, audit.snapshot(customer))
                audit.record(
                    session, customer=customer, reason=Reason.CUSTOMER_ADDED, changed=changed, actor=actor
                )
            for update in plan.updates:
                customer = get(session, customer_id=update.customer_id)
                before = audit.snapshot(customer)
                for name, (_, value) in update.changes.items():
                    setattr(customer, name, list(value) if name == "auto_approve_kinds" else value)
                session.flush()
                changed = audit.changes(before, audit.snapshot(customer))
                audit.record(
                    session, customer=customer, reason=Reason.SETTINGS_CHANGED, changed=changed, actor=actor
                )
    except IntegrityError:
        raise CustomerExists(
            "a project id, name or external id of the plan is already another customer's"
        ) from None


def schedule_groups(session: Session) -> list[ScheduleGroup]:
    """Enabled customers counted by (timezone, local run time): the capacity projection's arrivals."""
    query = (
        select(Customer.timezone, Customer.run_at, func.count())
        .where(Customer.enabled.is_(True), Customer.removed_at.is_(None))
        .group_by(Customer.timezone, Customer.run_at)
        .order_by(Customer.timezone, Customer.run_at)
    )
    return [ScheduleGroup(timezone, run_at, count) for timezone, run_at, count in session.execute(query)]


def registered_projects(engine: Engine) -> dict[str, str]:
    """Project id -> name of every customer in a database that may not be migrated yet (then: none)."""
    if not inspect(engine).has_table(Customer.__tablename__):
        return {}
    with engine.connect() as conn:
        return dict(conn.execute(select(Customer.layers_project_id, Customer.name)).tuples().all())
