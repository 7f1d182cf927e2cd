"""Approved clones go live: when a reviewed container is scheduled, to which accounts, at which slot, and what
each answer of Layers means for it. Pure: the loop (`agent.loops.publishing`) reads, records and sends.

Consent comes first: a customer whose policy does not auto-schedule gets a proposal through the consent gate
(`pending_schedule`), and nothing is scheduled until it is approved. The posting slot is the customer's
local posting time, found with the same schedule rule as runs (`agent.rules.schedule`), so a slot inside a
skipped DST hour is the end of the gap and a slot inside a repeated hour is its first occurrence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agent.domain.decisions import ConsentRequest, Decided, Subject
from agent.domain.learn_evidence import AccountSeen, PublicationStep
from agent.domain.publishing import (
    POST_ENDED,
    SCHEDULE_CLONE_KIND,
    PostStatus,
    Publication,
    PublicationStatus,
)
from agent.domain.vocabulary import SHADOW_OF, Action, Reason, Restraint, SubjectType
from agent.rules.schedule import due_local_date, local_date

SCHEDULE_LEAD = timedelta(minutes=5)  # Layers wants scheduledFor in the future (~30 s skew); keep a margin
POLL_QUEUED_S = 30.0  # the docs' cadence for a scheduled post: every 30 s while queued...
POLL_PUBLISHING_S = 5.0  # ...and every 5 s while publishing (contract §15.3)
REVIEW_WAIT = timedelta(days=30)  # a container nobody reviews in this long is given up
PUBLISH_MODE = "publish"
CONNECTED, REAUTH_REQUIRED = "connected", "reauth_required"
_SLOT_DAYS = 3  # today, tomorrow, the day after: one of them always has a slot after the lead
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Account:
    social_account_id: str
    platform: str | None
    status: str | None
    handle: str | None = None


def slot_on(day: date, tz: str, at: time) -> datetime:
    """The first instant (UTC) at which `day`'s posting slot is due, by the runs' schedule rule."""
    zone = ZoneInfo(tz)
    first = datetime.combine(day, at.replace(fold=0), tzinfo=zone).astimezone(UTC)
    second = datetime.combine(day, at.replace(fold=1), tzinfo=zone).astimezone(UTC)
    if first == second or due_local_date(min(first, second), tz, at) == day:
        return min(first, second)  # an ordinary time, or the first occurrence of a repeated one
    # A skipped time: due from the end of the gap, somewhere between the two readings; find it to the second.
    lo, hi = min(first, second), max(first, second)
    while hi - lo > _SECOND:
        mid = lo + (hi - lo) / 2
        if due_local_date(mid, tz, at) == day:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def posting_slot(now: datetime, tz: str, at: time, *, lead: timedelta = SCHEDULE_LEAD) -> datetime:
    """The customer's next local posting slot at least `lead` after `now`."""
    today = local_date(now, tz)
    for offset in range(_SLOT_DAYS):
        slot = slot_on(today + timedelta(days=offset), tz, at)
        if slot >= now + lead:
            return slot
    raise AssertionError("a posting slot always exists within three local days")


def _step(pub: Publication, **fields: Any) -> PublicationStep:
    base = PublicationStep(
        container_id=pub.container_id,
        clone_container_id=pub.clone_container_id,
        source_post_id=pub.source_post_id,
        approval_status=pub.approval_status,
    )
    return replace(base, **fields)


def _about(pub: Publication, action: Action, reason: Reason, evidence: PublicationStep, key: str) -> Decided:
    return Decided(
        action=action,
        reason=reason,
        subject=Subject(SubjectType.CONTAINER, pub.container_id),
        evidence=evidence,
        key=f"publication:{pub.id}:{key}",
    )


def on_approved(pub: Publication, *, auto_schedule: bool, slot: datetime) -> Decided | None:
    """An approved container: ready to schedule under an auto-schedule policy, else a proposal to consent to.

    The proposal shows the slot current now; the schedule itself takes the slot current at consent.
    """
    if auto_schedule:
        return None
    proposal = ConsentRequest(
        kind=SCHEDULE_CLONE_KIND,
        method="POST",
        path=f"/v1/content/{pub.container_id}/schedule",
        body={"scheduledFor": iso(slot)},
        auto_approved=False,
    )
    evidence = _step(pub, scheduled_for=iso(slot))
    decided = _about(pub, Action.PENDING_SCHEDULE, Reason.SCHEDULE_NEEDS_CONSENT, evidence, "consent")
    return replace(decided, effect=proposal)


@dataclass(frozen=True)
class SchedulePlan:
    """The decision about scheduling a ready publication; `targets` is empty when it is held back."""

    decided: Decided
    targets: tuple[str, ...] = ()
    scheduled_for: datetime | None = None

    @property
    def reserves(self) -> bool:
        return bool(self.targets)


def plan_schedule(
    pub: Publication,
    accounts: Sequence[Account],
    *,
    restraint: Restraint | None,
    slot: datetime,
    consented_by: str | None,
) -> SchedulePlan:
    """Schedule to every connected account at the slot, or say why not (held until the next attempt)."""
    seen = tuple(AccountSeen(a.social_account_id, a.platform, a.status, a.handle) for a in accounts)
    targets = tuple(a.social_account_id for a in accounts if a.status == CONNECTED)
    evidence = _step(pub, accounts=seen, scheduled_for=iso(slot), targets=targets, consented_by=consented_by)
    if not targets:
        reason = (
            Reason.ACCOUNT_NEEDS_REAUTH
            if any(a.status == REAUTH_REQUIRED for a in accounts)
            else Reason.NO_CONNECTED_ACCOUNT
        )
        return SchedulePlan(_about(pub, Action.SKIP, reason, evidence, f"held:{reason}"))
    if restraint is Restraint.KILL_SWITCH:
        held = _about(
            pub, Action.SKIP, Reason.KILL_SWITCH, _step(pub, restraint=restraint), "held:kill_switch"
        )
        return SchedulePlan(held)
    if restraint is Restraint.SHADOW_MODE:
        shadow = _step(pub, accounts=seen, targets=targets, scheduled_for=iso(slot), restraint=restraint)
        action = SHADOW_OF[Action.SCHEDULE]
        return SchedulePlan(_about(pub, action, Reason.CLONE_APPROVED, shadow, "held:shadow_mode"))
    decided = _about(pub, Action.SCHEDULE, Reason.CLONE_APPROVED, evidence, f"schedule:{pub.attempts + 1}")
    return SchedulePlan(decided, targets=targets, scheduled_for=slot)


@dataclass(frozen=True)
class Answer:
    """What a schedule answer means: the publication's next status and the decision that records it."""

    status: PublicationStatus
    action: Action
    reason: Reason
    new_key: bool = False  # nothing was created: the next attempt mints a fresh Idempotency-Key


GATE_QUEUED, GATE_BLOCKED = "queued", "blocked_on_approval"


def accepted(gate_status: str | None, scheduled_post_ids: Sequence[str]) -> Answer:
    """A 2xx: posts queued, or the intent stashed until the container is approved (contract §9.4, §15.1)."""
    if gate_status == GATE_BLOCKED or not scheduled_post_ids:
        return Answer(PublicationStatus.BLOCKED, Action.OBSERVE, Reason.SCHEDULE_BLOCKED_ON_APPROVAL)
    return Answer(PublicationStatus.SCHEDULED, Action.OBSERVE, Reason.POST_SCHEDULED)


def refused(status: int | None, code: str | None, fields: Sequence[str]) -> Answer:
    """A refusal: each documented answer, never retried as it was sent.

    403 APPROVAL_REQUIRED: the container is not approved after all, so it waits for its review again. 409
    CONTENT_REJECTED: rejected for good. A slot that passed before the send (422 on `scheduledFor`) gets the
    next slot. Anything else Layers refuses ends the publication.
    """
    if code == "APPROVAL_REQUIRED":
        return Answer(PublicationStatus.AWAITING_REVIEW, Action.ERROR, Reason.APPROVAL_REQUIRED, new_key=True)
    if code == "CONTENT_REJECTED":
        return Answer(PublicationStatus.REJECTED, Action.REJECT, Reason.CONTENT_REJECTED)
    if status in (400, 422) and "scheduledFor" in fields:
        return Answer(PublicationStatus.READY, Action.ERROR, Reason.SCHEDULE_REJECTED, new_key=True)
    return Answer(PublicationStatus.FAILED, Action.ERROR, Reason.SCHEDULE_REJECTED)


def next_poll(status: PostStatus, scheduled_for: datetime | None, now: datetime) -> datetime:
    """When to read a scheduled post again: not before its slot, then at the documented cadence."""
    if status is PostStatus.PUBLISHING:
        return now + timedelta(seconds=POLL_PUBLISHING_S)
    following = now + timedelta(seconds=POLL_QUEUED_S)
    return max(following, scheduled_for) if scheduled_for is not None else following


POST_REASONS = {
    PostStatus.PUBLISHED: Reason.POST_PUBLISHED,
    PostStatus.FAILED: Reason.POST_FAILED,
    PostStatus.CANCELED: Reason.POST_CANCELED,
    PostStatus.DRAFT: Reason.POST_PUBLISHED,  # pushed to the customer's phone as a draft: as far as we go
}


def publication_end(statuses: Sequence[PostStatus]) -> PublicationStatus | None:
    """A publication ends once all its posts have: published if any went live, else failed."""
    if not statuses or any(status not in POST_ENDED for status in statuses):
        return None
    live = any(status in (PostStatus.PUBLISHED, PostStatus.DRAFT) for status in statuses)
    return PublicationStatus.PUBLISHED if live else PublicationStatus.FAILED


def review_expired(created_at: datetime | None, now: datetime) -> bool:
    return created_at is not None and now - created_at >= REVIEW_WAIT


def iso(moment: datetime) -> str:
    """`2026-04-19T14:00:00Z`: what Layers' `scheduledFor` wants (UTC, `Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
