"""Commissioning fresh creative (POST /v1/projects/:id/content) with the same crash safety as a clone.

The commission row carries the container id (the body `id`, Layers' UPSERT key) and the
Idempotency-Key, committed with the decision before anything is sent.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crashpoints import AFTER_COMMISSION_RESPONSE, crashpoint
from agent.layers import errors
from agent.logging import get_logger
from agent.loops.failures import REJECTIONS, translate
from agent.services import Services
from agent.store import jobs
from agent.store.decisions import NewDecision, record
from agent.store.models import Commission, Customer

log = get_logger(__name__)


def reserve(
    session: Session,
    *,
    customer_id: int,
    run_id: int,
    decision_id: int | None,
    hook: str,
    hook_source_post_id: str | None,
    variant_count: int,
) -> Commission:
    commission = Commission(
        customer_id=customer_id,
        run_id=run_id,
        decision_id=decision_id,
        container_id=str(uuid.uuid4()),
        idempotency_key=str(uuid.uuid4()),
        hook=hook,
        hook_source_post_id=hook_source_post_id,
        variant_count=variant_count,
        status="pending",
    )
    session.add(commission)
    session.flush()
    return commission


def send_pending(services: Services, *, run_id: int) -> None:
    with services.db.session() as session:
        pending = list(
            session.scalars(
                select(Commission.id).where(Commission.run_id == run_id, Commission.status == "pending")
            )
        )
    for commission_id in pending:
        send(services, commission_id=commission_id)


def send(services: Services, *, commission_id: int) -> None:
    settings = services.settings
    with services.db.session() as session:
        commission = session.scalars(
            select(Commission).where(Commission.id == commission_id).with_for_update()
        ).one()
        if commission.status != "pending":
            return
        commission.send_attempts += 1
        project_id = session.get_one(Customer, commission.customer_id).layers_project_id
        container_id, key = commission.container_id, commission.idempotency_key
        brief, variants = {"hook": commission.hook}, commission.variant_count
    try:
        envelope = services.client.generate_content(
            project_id, container_id=container_id, brief=brief, variant_count=variants, idempotency_key=key
        )
    except REJECTIONS as exc:
        _rejected(services, commission_id, exc)
        return
    except errors.LayersError as exc:
        raise translate(exc) from exc
    crashpoint(AFTER_COMMISSION_RESPONSE, settings.crash_at)
    now = services.now()
    with services.db.session() as session:
        commission = session.get_one(Commission, commission_id)
        commission.job_id = envelope.job_id
        commission.status = "submitted"
        commission.submitted_at = now
        jobs.track(
            session,
            job_id=envelope.job_id,
            kind="commission",
            customer_id=commission.customer_id,
            commission_id=commission.id,
            now=now,
            first_poll_s=settings.job_poll_initial_s,
            timeout_s=settings.job_timeout_s,
        )
    log.info("commission_submitted", commission_id=commission_id, job_id=envelope.job_id)


def _rejected(services: Services, commission_id: int, exc: errors.LayersError) -> None:
    now = services.now()
    with services.db.session() as session:
        commission = session.get_one(Commission, commission_id)
        commission.status = "failed"
        commission.finished_at = now
        commission.error_code = exc.code
        commission.error_message = str(exc)
        record(
            session,
            NewDecision(
                customer_id=commission.customer_id,
                run_id=commission.run_id,
                loop="optimization",
                action="error",
                reason="commission_rejected",
                subject_type="commission",
                subject_id=commission.container_id,
                evidence={"code": exc.code, "status": exc.status, "request_id": exc.request_id},
                parent_id=commission.decision_id,
                dedupe_key=f"commission:{commission.id}:rejected",
            ),
        )
