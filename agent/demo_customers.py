"""Registering a sandbox scenario's projects as customers (the demo, the compose stack, the tests)."""

from __future__ import annotations

from datetime import time

from sqlalchemy.orm import Session

from agent.domain.records import NewClone
from agent.domain.vocabulary import CloneOrigin, LoopName, Stage, WorkStatus
from agent.sandbox import Scenario
from agent.store import clones, customers
from agent.store.models import Customer


def register(session: Session, scenario: Scenario, *, run_at: time = time(6, 0)) -> list[Customer]:
    """Add every scenario project as a customer, once; seed the clones the scenario says happened before.

    Safe to run again: existing customers (by Layers project id) are left as they are.
    """
    registered = []
    for project in scenario.projects:
        existing = customers.by_project(session, layers_project_id=project.id)
        if existing is not None:
            registered.append(existing)
            continue
        customer = customers.add(
            session,
            layers_project_id=project.id,
            name=project.name,
            timezone=project.timezone,
            external_id=project.customer_external_id,
            stage=Stage(project.stage),
            run_at=run_at,
        )
        for post in project.posts:
            for _ in range(post.prior_clones):
                _seed_prior_clone(session, customer.id, post.platform_post_id)
        registered.append(customer)
    return registered


def _seed_prior_clone(session: Session, customer_id: int, source_post_id: str) -> None:
    """A clone made before the agent was installed: it counts toward the cap like any other."""
    prior = NewClone(
        customer_id=customer_id,
        run_id=None,
        loop=LoopName.PUBLISH_TO_LEARN,
        source_post_id=source_post_id,
        origin=CloneOrigin.PRIOR,
        mode="fork",
        variations=2,
    )
    clones.reserve(session, new=prior, status=WorkStatus.COMPLETED)
