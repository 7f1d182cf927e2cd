"""Registering a sandbox scenario's projects as customers (the demo, the compose stack, the tests)."""

from __future__ import annotations

from datetime import time

from agent.domain.records import NewClone
from agent.domain.vocabulary import CloneOrigin, LoopName, Stage, WorkStatus
from agent.sandbox import Scenario
from agent.store import clones, customers
from agent.store.db import Database

# How the clones a scenario says were made before the agent was installed are recorded.
PRIOR_CLONE_MODE, PRIOR_CLONE_VARIATIONS = "fork", 2


def register(db: Database, scenario: Scenario, *, run_at: time = time(6, 0)) -> list[int]:
    """Add every scenario project as a customer, once; seed the clones the scenario says happened before.

    Safe to run again: existing customers (by Layers project id) are left as they are. Returns their ids.
    """
    registered = []
    with db.session() as session:
        for project in scenario.projects:
            existing = customers.by_project(session, layers_project_id=project.id)
            if existing is not None:
                registered.append(existing.id)
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
            # the scenario's sandbox-only hint (issue 15): this customer's policy schedules approved clones
            customer.auto_schedule = project.publishing is not None and project.publishing.auto_schedule
            for post in project.posts:
                prior = NewClone(
                    customer_id=customer.id,
                    run_id=None,
                    loop=LoopName.PUBLISH_TO_LEARN,
                    source_post_id=post.platform_post_id,
                    origin=CloneOrigin.PRIOR,
                    mode=PRIOR_CLONE_MODE,
                    variations=PRIOR_CLONE_VARIATIONS,
                )
                for _ in range(post.prior_clones):
                    clones.reserve(session, new=prior, status=WorkStatus.COMPLETED)
            registered.append(customer.id)
    return registered
