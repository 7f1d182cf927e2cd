"""The one send path for submitted work (clones and commissions): lock a pending row, send it with its
persisted ids, then record the job to follow, or the refusal.

The ids were committed with the decision that wanted the work, so a send retried after any crash is
replayed by Layers (same container id, same Idempotency-Key) instead of creating the work twice.
"""

from __future__ import annotations

from dataclasses import replace

from agent.crashpoints import AFTER_RESPONSE, crashpoint
from agent.domain.decisions import NewDecision, Subject
from agent.domain.records import CloneSpec, SendOrder, Submission
from agent.domain.vocabulary import REJECTED_WORK_REASON, Action, SubjectType, WorkKind
from agent.layers import errors
from agent.layers.models import JobEnvelope
from agent.logging import get_logger
from agent.loops import job_poller
from agent.loops.failures import REJECTIONS, failure_evidence
from agent.loops.ports import Deps, LayersApi

log = get_logger(__name__)

SUBJECT = {WorkKind.CLONE: SubjectType.CLONE, WorkKind.COMMISSION: SubjectType.COMMISSION}


def send_pending(deps: Deps, *, run_id: int) -> None:
    """Send every piece of work this run minted and has not sent yet (all of it, after a crash)."""
    with deps.store() as store:
        pending = [(item.kind, item.id) for item in store.pending_work(run_id=run_id)]
    for kind, work_id in pending:
        send(deps, kind=kind, work_id=work_id)


def send(deps: Deps, *, kind: WorkKind, work_id: int) -> None:
    """Send one piece of work; Layers' transient errors propagate (the run is retried later)."""
    settings = deps.settings
    with deps.store() as store:
        order = store.begin_send(kind=kind, work_id=work_id)
    if order is None:
        return
    try:
        envelope = _submit(deps.client, order)
    except REJECTIONS as exc:
        _rejected(deps, order, exc)
        log.warning("work_rejected", kind=kind, work_id=work_id, code=exc.code, status=exc.status)
        return
    crashpoint(AFTER_RESPONSE[kind], settings.crash_at)
    with deps.store() as store:
        now = deps.now()
        store.mark_submitted(
            kind=kind,
            work_id=work_id,
            submission=Submission(
                job_id=envelope.job_id,
                now=now,
                first_poll_s=job_poller.first_poll_s(store, settings, kind=kind, now=now),
                timeout_s=settings.job_timeout_s,
            ),
        )
    log.info("work_submitted", kind=kind, work_id=work_id, job_id=envelope.job_id)


def _submit(client: LayersApi, order: SendOrder) -> JobEnvelope:
    work, spec = order.work, order.work.spec
    if isinstance(spec, CloneSpec):
        return client.clone_from_post(
            work.container_id,
            project_id=order.project_id,
            source_platform_post_id=spec.source_post_id,
            mode=spec.mode,
            variations=spec.variations,
            idempotency_key=work.idempotency_key,
        )
    return client.generate_content(
        order.project_id,
        container_id=work.container_id,
        brief={"hook": spec.hook},
        variant_count=spec.variant_count,
        idempotency_key=work.idempotency_key,
    )


def _rejected(deps: Deps, order: SendOrder, exc: errors.LayersError) -> None:
    """Layers refused the work itself: it ends failed (a clone gives its slot back) and says why."""
    work = order.work
    source = work.spec.source_post_id if isinstance(work.spec, CloneSpec) else None
    with deps.store() as store:
        store.reject_work(kind=work.kind, work_id=work.id, now=deps.now(), code=exc.code, message=str(exc))
        store.record_decision(
            NewDecision(
                customer_id=work.customer_id,
                loop=work.loop,
                action=Action.ERROR,
                reason=REJECTED_WORK_REASON[work.kind],
                subject=Subject(SUBJECT[work.kind], work.container_id),
                evidence=replace(failure_evidence(exc), source_post_id=source),
                run_id=work.run_id,
                parent_id=work.decision_id,
                dedupe_key=f"{work.kind}:{work.id}:rejected",
            )
        )
