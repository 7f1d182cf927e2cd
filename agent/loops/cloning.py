"""The clone path shared by publish-to-learn and the optimization loop's refresh recommendations.

A clone is reserved (slot taken, container id and Idempotency-Key minted) in the same transaction as
the decision that wants it; `send` only ever transmits those persisted ids, so a retry after any crash
is replayed by Layers instead of creating a second clone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from agent.crashpoints import AFTER_CLONE_RESPONSE, crashpoint
from agent.layers import errors
from agent.logging import get_logger
from agent.loops.failures import REJECTIONS, translate
from agent.services import Services
from agent.store import clones, jobs
from agent.store.decisions import NewDecision, record
from agent.store.models import Clone, Customer

log = get_logger(__name__)


def send_pending(services: Services, *, run_id: int) -> None:
    """Send every clone this run reserved and has not sent yet (all of them, after a crash)."""
    with services.db.session() as session:
        pending = [clone.id for clone in clones.pending_for_run(session, run_id)]
    for clone_id in pending:
        send(services, clone_id=clone_id)


def send(services: Services, *, clone_id: int) -> None:
    settings = services.settings
    with services.db.session() as session:
        clone = session.scalars(select(Clone).where(Clone.id == clone_id).with_for_update()).one()
        if clone.status != "pending":
            return
        clone.send_attempts += 1
        customer = session.get_one(Customer, clone.customer_id)
        request = {
            "container_id": clone.container_id,
            "project_id": customer.layers_project_id,
            "source_platform_post_id": clone.source_post_id,
            "mode": clone.mode,
            "variations": clone.variations,
            "idempotency_key": clone.idempotency_key,
        }
    bound = log.bind(customer_id=customer.id, clone_id=clone_id, container_id=request["container_id"])
    try:
        envelope = services.client.clone_from_post(
            request["container_id"],
            project_id=request["project_id"],
            source_platform_post_id=request["source_platform_post_id"],
            mode=request["mode"],
            variations=request["variations"],
            idempotency_key=request["idempotency_key"],
        )
    except REJECTIONS as exc:
        _rejected(services, clone_id, exc)
        bound.warning("clone_rejected", code=exc.code, status=exc.status)
        return
    except errors.LayersError as exc:
        raise translate(exc) from exc
    crashpoint(AFTER_CLONE_RESPONSE, settings.crash_at)
    now = services.now()
    with services.db.session() as session:
        clone = session.get_one(Clone, clone_id)
        clones.mark_submitted(session, clone, job_id=envelope.job_id, now=now)
        jobs.track(
            session,
            job_id=envelope.job_id,
            kind="clone",
            customer_id=clone.customer_id,
            clone_id=clone.id,
            now=now,
            first_poll_s=settings.job_poll_initial_s,
            timeout_s=settings.job_timeout_s,
        )
    bound.info("clone_submitted", job_id=envelope.job_id, source_post_id=request["source_platform_post_id"])


def _rejected(services: Services, clone_id: int, exc: errors.LayersError) -> None:
    now: datetime = services.now()
    with services.db.session() as session:
        clone = session.get_one(Clone, clone_id)
        clones.finish(session, clone, status="failed", now=now, error_code=exc.code, error_message=str(exc))
        record(
            session,
            NewDecision(
                customer_id=clone.customer_id,
                run_id=clone.run_id,
                loop="publish_to_learn" if clone.origin == "breakout" else "optimization",
                action="error",
                reason="clone_rejected",
                subject_type="clone",
                subject_id=clone.container_id,
                evidence={
                    "code": exc.code,
                    "status": exc.status,
                    "request_id": exc.request_id,
                    "source_post_id": clone.source_post_id,
                },
                parent_id=clone.decision_id,
                dedupe_key=f"clone:{clone.id}:rejected",
            ),
        )
