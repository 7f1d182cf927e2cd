"""Approved clones go live: one periodic tick (beat, every PUBLISH_TICK_S) takes each completed clone's
containers from the customer's review to scheduled posts at Layers.

Steps, each on its own rows and in its own short transactions, so one bad row never stops the others:
1. completed clones get one publication per container (its variations);
2. the review backstop reads `approvalStatus` of containers still in review at APPROVAL_CHECK_INTERVAL_S
   (the `content.approved|rejected` webhooks usually get there first, `agent.loops.webhook_events`);
3. an approved container is scheduled at once under an auto-schedule policy, else proposed through the
   consent gate (`pending_schedule`), and scheduled only once that proposal is approved;
4. a schedule is an outbox row: its Idempotency-Key, slot and targets are committed before the request, so
   a send retried after any crash is replayed by Layers, never applied twice;
5. its scheduled posts are followed to their end (`agent.loops.scheduled_posts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from agent.crashpoints import CrashPoint, crashpoint
from agent.domain.evidence import ContentReview, Evidence
from agent.domain.publishing import PostState, PostStatus, Publication, PublicationStatus, Reservation
from agent.domain.vocabulary import Action, ApprovalStatus, Reason, ReviewStatus
from agent.layers import errors
from agent.layers.publishing import ScheduleTarget
from agent.logging import get_logger
from agent.loops import publication_records as records
from agent.loops import publish_readers, scheduled_posts
from agent.loops.failures import TRANSIENT
from agent.loops.ports import Deps
from agent.rules.policy import restraint_for
from agent.rules.publishing import (
    PUBLISH_MODE,
    Answer,
    accepted,
    on_approved,
    plan_schedule,
    posting_slot,
    refused,
    review_expired,
)

log = get_logger(__name__)

BATCH = 50  # rows claimed per round
ROUNDS = 3  # review -> consent -> schedule can happen within one tick
APPROVED = frozenset({ReviewStatus.APPROVED, ReviewStatus.NOT_REQUIRED})
DECIDED = frozenset({*APPROVED, ReviewStatus.REJECTED})


def tick(deps: Deps) -> int:
    """Track new clones and claim the rows due (one transaction), then take each row's step; a row whose
    step made it due again at once (approved, so ready to schedule) goes on in the next round."""
    settings, handled = deps.settings, 0
    for round_ in range(ROUNDS):
        with deps.store() as store:
            if round_ == 0:
                store.track_publications(
                    now=deps.now(), limit=BATCH, check_after_s=settings.approval_check_interval_s
                )
            due = store.due_publications(
                statuses=tuple(STEPS), now=deps.now(), limit=BATCH, lease_s=settings.publish_lease_s
            )
        for pub in due:
            try:
                STEPS[pub.status](deps, pub)
            except TRANSIENT as exc:
                log.warning("publication_deferred", publication_id=pub.id, error=type(exc).__name__)
        handled += len(due)
        if not due:
            break
    return handled + scheduled_posts.poll_due(deps, limit=BATCH)


# ---- the customer's review -------------------------------------------------------------------------


def review(deps: Deps, pub: Publication) -> None:
    """The backstop read of a container still in review (or stashed): its approvalStatus decides what next."""
    now = deps.now()
    waiting = pub.status is PublicationStatus.AWAITING_REVIEW
    if waiting and review_expired(pub.created_at, now):
        records.end(deps, pub, PublicationStatus.EXPIRED, Action.OBSERVE, Reason.REVIEW_EXPIRED, "expired")
        return
    if waiting and pub.attempts == 0 and pub.approval_status in DECIDED:
        reviewed(deps, pub, pub.approval_status, by="event")  # a webhook (or the job's end) told it
        return
    try:
        status = deps.client.get_content(pub.container_id).approval_status
    except errors.NotFound as exc:
        records.gone(deps, pub, exc)
        return
    except TRANSIENT:
        _recheck(deps, pub)
        raise
    reviewed(deps, pub, status, by="read")


def reviewed(deps: Deps, pub: Publication, approval_status: str | None, *, by: str) -> None:
    """What the container's review status means for its publication (a read or an event told it)."""
    if approval_status in APPROVED and pub.status is PublicationStatus.BLOCKED:
        _promoted(deps, pub)
    elif approval_status in APPROVED:
        _approved(deps, pub, approval_status or ReviewStatus.APPROVED, by=by)
    elif approval_status == ReviewStatus.REJECTED:
        _rejected(deps, pub, by=by, note=None)
    else:
        _recheck(deps, pub, approval_status=approval_status)


def _approved(deps: Deps, pub: Publication, approval_status: str, *, by: str) -> None:
    now, settings = deps.now(), deps.settings
    with deps.store() as store:
        locked = store.lock_publication(publication_id=pub.id, status=pub.status)
        if locked is None:
            return
        customer = store.get_customer(customer_id=pub.customer_id)
        if approval_status == ReviewStatus.APPROVED:
            records.record_review(store, locked, ReviewStatus.APPROVED, by=by, note=None)
        slot = posting_slot(now, customer.timezone, customer.posting_at or settings.default_posting_at)
        proposal = on_approved(locked, auto_schedule=customer.auto_schedule, slot=slot)
        if proposal is None:
            store.move_publication(
                publication_id=pub.id,
                status=PublicationStatus.READY,
                now=now,
                approval_status=approval_status,
            )
            return
        decision_id = records.propose(store, locked, proposal, customer=customer, settings=settings, now=now)
        store.move_publication(
            publication_id=pub.id,
            status=PublicationStatus.PENDING_SCHEDULE,
            now=now,
            approval_status=approval_status,
            proposal_id=decision_id,
        )
    log.info("publication_approved", publication_id=pub.id, auto_schedule=proposal is None)


def _rejected(deps: Deps, pub: Publication, *, by: str, note: str | None) -> None:
    with deps.store() as store:
        locked = store.lock_publication(publication_id=pub.id, status=pub.status)
        if locked is None:
            return
        records.record_review(store, locked, ReviewStatus.REJECTED, by=by, note=note)
        store.move_publication(
            publication_id=pub.id,
            status=PublicationStatus.REJECTED,
            now=deps.now(),
            approval_status=ReviewStatus.REJECTED,
        )
        records.settle_proposal(
            store, locked, ApprovalStatus.FAILED, {"error": "the container was rejected"}, deps.now()
        )


def _recheck(deps: Deps, pub: Publication, *, approval_status: str | None = None) -> None:
    now = deps.now()
    with deps.store() as store:
        store.move_publication(
            publication_id=pub.id,
            status=pub.status,
            now=now,
            next_check_at=now + timedelta(seconds=deps.settings.approval_check_interval_s),
            approval_status=approval_status,
        )


# ---- consent and the schedule ----------------------------------------------------------------------


def consent(deps: Deps, pub: Publication) -> None:
    """A schedule proposal: approved by ops makes it ready, turned down ends it, else it keeps waiting."""
    now = deps.now()
    with deps.store() as store:
        found = store.proposal(decision_id=pub.proposal_id) if pub.proposal_id is not None else None
        status = found[0] if found is not None else None
        if status is ApprovalStatus.APPROVED:
            store.move_publication(publication_id=pub.id, status=PublicationStatus.READY, now=now)
        elif status is ApprovalStatus.REJECTED:
            store.move_publication(publication_id=pub.id, status=PublicationStatus.DECLINED, now=now)
        else:
            later = now + timedelta(seconds=deps.settings.publish_tick_s)
            store.move_publication(publication_id=pub.id, status=pub.status, now=now, next_check_at=later)


def schedule(deps: Deps, pub: Publication) -> None:
    """Plan the schedule with the customer's accounts, commit its key, slot and targets, then send it."""
    settings = deps.settings
    try:
        accounts = publish_readers.social_accounts(deps.client, pub.project_id)
    except TRANSIENT:
        _recheck(deps, pub)
        raise
    now = deps.now()
    with deps.store() as store:
        locked = store.lock_publication(publication_id=pub.id, status=PublicationStatus.READY)
        if locked is None:
            return
        customer = store.get_customer(customer_id=pub.customer_id)
        found = store.proposal(decision_id=locked.proposal_id) if locked.proposal_id is not None else None
        plan = plan_schedule(
            locked,
            accounts,
            restraint=restraint_for(kill_switch=settings.kill_switch, mode=customer.mode),
            slot=posting_slot(now, customer.timezone, customer.posting_at or settings.default_posting_at),
            consented_by=(found[1] if found is not None else None) or "policy: auto-schedule",
        )
        decision_id = records.record(
            store, locked, plan.decided, parent=locked.proposal_id or locked.clone_decision_id
        )
        if plan.scheduled_for is None:  # held: no account, or a restraint; tried again later
            later = now + timedelta(seconds=settings.approval_check_interval_s)
            store.move_publication(publication_id=pub.id, status=pub.status, now=now, next_check_at=later)
            return
        reservation = Reservation(
            scheduled_for=plan.scheduled_for,
            targets=plan.targets,
            decision_id=decision_id,
            resend_at=now + timedelta(seconds=settings.publish_lease_s),
        )
        store.reserve_schedule(publication_id=pub.id, reservation=reservation, now=now)
    crashpoint(CrashPoint.AFTER_SCHEDULE_COMMIT, settings.crash_at)
    send(deps, pub)


def send(deps: Deps, pub: Publication) -> None:
    """Send a committed schedule with its persisted key and body; record what Layers answered."""
    with deps.store() as store:
        order = store.lock_publication(publication_id=pub.id, status=PublicationStatus.SCHEDULING)
    if order is None or order.scheduled_for is None:
        return
    try:
        result = deps.client.schedule_content(
            order.container_id,
            scheduled_for=order.scheduled_for,
            targets=[ScheduleTarget(social_account_id=t, mode=PUBLISH_MODE) for t in order.targets],
            idempotency_key=order.idempotency_key,
        )
    except TRANSIENT:
        later = deps.now() + timedelta(seconds=deps.settings.publish_lease_s)
        with deps.store() as store:
            store.move_publication(
                publication_id=pub.id, status=order.status, now=deps.now(), next_check_at=later
            )
        raise
    except errors.LayersError as exc:
        _refused(deps, order, exc)
        return
    crashpoint(CrashPoint.AFTER_SCHEDULE_RESPONSE, deps.settings.crash_at)
    answer = accepted(result.gate_status, result.scheduled_post_ids)
    posts = [
        PostState(sp, PostStatus.QUEUED, order.container_id, scheduled_for=order.scheduled_for)
        for sp in result.scheduled_post_ids
    ]
    details = {"gate_status": result.gate_status, "scheduled_post_ids": list(result.scheduled_post_ids)}
    _answered(deps, order, answer, posts, details)
    log.info("publication_scheduled", publication_id=pub.id, gate_status=result.gate_status)


def _answered(
    deps: Deps, order: Publication, answer: Answer, posts: Sequence[PostState], details: Mapping[str, Any]
) -> None:
    now = deps.now()
    with deps.store() as store:
        locked = store.lock_publication(publication_id=order.id, status=order.status)
        if locked is None:
            return  # another tick recorded this answer first
        step = records.evidence(locked, targets=locked.targets, **details)
        records.follow(
            store, locked, answer.action, answer.reason, step, f"{answer.reason}:{locked.attempts}"
        )
        if answer.status is PublicationStatus.SCHEDULED:
            first = min((p.scheduled_for for p in posts if p.scheduled_for), default=now)
            store.follow_posts(publication_id=locked.id, posts=posts, now=now, first_poll_at=max(first, now))
        later = now + timedelta(seconds=deps.settings.approval_check_interval_s)
        store.move_publication(
            publication_id=locked.id,
            status=answer.status,
            now=now,
            next_check_at=later if answer.status is PublicationStatus.BLOCKED else now,
        )
        if answer.status is not PublicationStatus.READY:  # sent: the consented schedule was executed
            records.settle_proposal(store, locked, ApprovalStatus.EXECUTED, dict(details), now)


def _refused(deps: Deps, order: Publication, exc: errors.LayersError) -> None:
    """Layers refused the schedule: recorded, never sent again as it was (a fresh key if it ever is)."""
    fields = (
        [str(issue.get("path")) for issue in exc.issues] if isinstance(exc, errors.ValidationFailed) else []
    )
    answer = refused(exc.status, exc.code, fields)
    log.warning("schedule_refused", publication_id=order.id, code=exc.code, status=exc.status)
    now = deps.now()
    with deps.store() as store:
        locked = store.lock_publication(publication_id=order.id, status=PublicationStatus.SCHEDULING)
        if locked is None:
            return
        evidence: Evidence = records.evidence(
            locked, code=exc.code, message=str(exc), request_id=exc.request_id
        )
        if answer.status is PublicationStatus.REJECTED:
            evidence = ContentReview(
                locked.container_id, ReviewStatus.REJECTED, "(schedule answer)", reason=str(exc)
            )
            records.record_review(store, locked, ReviewStatus.REJECTED, by="schedule answer", note=str(exc))
        records.follow(store, locked, answer.action, answer.reason, evidence, f"refused:{locked.attempts}")
        retry = answer.status is PublicationStatus.READY
        store.move_publication(
            publication_id=locked.id,
            status=answer.status,
            now=now,
            next_check_at=now if retry else now + timedelta(seconds=deps.settings.approval_check_interval_s),
            approval_status=ReviewStatus.REJECTED if answer.status is PublicationStatus.REJECTED else None,
        )
        if answer.status in (PublicationStatus.FAILED, PublicationStatus.REJECTED):
            records.settle_proposal(
                store, locked, ApprovalStatus.FAILED, {"error": str(exc), "code": exc.code}, now
            )


def _promoted(deps: Deps, pub: Publication) -> None:
    """A stashed schedule whose container is now approved: Layers promoted it into posts (or could not)."""
    posts = publish_readers.promoted_posts(
        deps.client, pub.project_id, pub.container_id, around=pub.scheduled_for
    )
    ids = [post.scheduled_post_id for post in posts]
    if posts:
        answer = Answer(PublicationStatus.SCHEDULED, Action.OBSERVE, Reason.SCHEDULE_PROMOTED)
    else:  # approved, yet nothing was promoted (e.g. the target account is gone): schedule it again
        answer = Answer(PublicationStatus.READY, Action.OBSERVE, Reason.PROMOTION_FAILED, new_key=True)
    _answered(deps, pub, answer, posts, {"scheduled_post_ids": ids})


# ---- the steps ---------------------------------------------------------------------------------------

STEPS: dict[PublicationStatus, Callable[[Deps, Publication], None]] = {
    PublicationStatus.AWAITING_REVIEW: review,
    PublicationStatus.BLOCKED: review,
    PublicationStatus.PENDING_SCHEDULE: consent,
    PublicationStatus.READY: schedule,
    PublicationStatus.SCHEDULING: send,  # sent before, left unanswered (a crash, a busy Layers)
}
