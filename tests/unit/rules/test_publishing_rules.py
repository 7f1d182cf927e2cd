"""Approved clones go live (issue 15), the pure part: the posting slot (the runs' schedule rule, so DST-safe),
the schedule plan, and what each documented answer of Layers means."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from agent.domain.decisions import ConsentRequest
from agent.domain.learn_evidence import PublicationStep
from agent.domain.publishing import PostStatus, Publication, PublicationStatus
from agent.domain.vocabulary import Action, Reason, Restraint
from agent.rules.publishing import (
    Account,
    accepted,
    next_poll,
    on_approved,
    plan_schedule,
    posting_slot,
    publication_end,
    refused,
)

NY = "America/New_York"


@pytest.mark.parametrize(
    ("now", "at", "slot"),
    [
        pytest.param(
            datetime(2026, 11, 28, 18, 0, tzinfo=UTC),
            time(18),
            datetime(2026, 11, 28, 23, 0, tzinfo=UTC),
            id="later-today",
        ),
        pytest.param(
            datetime(2026, 11, 28, 23, 30, tzinfo=UTC),
            time(18),
            datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
            id="passed-tomorrow",
        ),
        pytest.param(
            datetime(2026, 11, 28, 22, 58, tzinfo=UTC),
            time(18),
            datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
            id="inside-the-lead",
        ),
        # 2026-03-08: 02:00 EST jumps to 03:00 EDT; a 02:30 slot is due at the end of the gap, 03:00 EDT.
        pytest.param(
            datetime(2026, 3, 8, 5, 0, tzinfo=UTC),
            time(2, 30),
            datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
            id="dst-skipped",
        ),
        # 2026-11-01: 02:00 EDT falls back to 01:00 EST; a 01:30 slot is its first occurrence (EDT).
        pytest.param(
            datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
            time(1, 30),
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            id="dst-repeated",
        ),
    ],
)
def test_the_next_posting_slot(now, at, slot):
    assert posting_slot(now, NY, at) == slot


PUB = Publication(
    id=7,
    customer_id=1,
    clone_id=3,
    project_id="prj_1",
    container_id="cnt_v2",
    clone_container_id="cnt_1",
    source_post_id="pp_hit",
    status=PublicationStatus.READY,
    approval_status="approved",
)
SLOT = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
CONNECTED, REAUTH = Account("sa_1", "tiktok", "connected"), Account("sa_2", "instagram", "reauth_required")


def test_consent_is_asked_for_unless_the_policy_auto_schedules():
    assert on_approved(PUB, auto_schedule=True, slot=SLOT) is None
    proposal = on_approved(PUB, auto_schedule=False, slot=SLOT)
    assert proposal is not None
    assert (proposal.action, proposal.reason) == (Action.PENDING_SCHEDULE, Reason.SCHEDULE_NEEDS_CONSENT)
    assert isinstance(proposal.effect, ConsentRequest)
    assert (proposal.effect.method, proposal.effect.path) == ("POST", "/v1/content/cnt_v2/schedule")


@pytest.mark.parametrize(
    ("accounts", "restraint", "expected", "targets"),
    [
        pytest.param(
            [CONNECTED, REAUTH], None, (Action.SCHEDULE, Reason.CLONE_APPROVED), ("sa_1",), id="connected"
        ),
        pytest.param([REAUTH], None, (Action.SKIP, Reason.ACCOUNT_NEEDS_REAUTH), (), id="only-reauth"),
        pytest.param([], None, (Action.SKIP, Reason.NO_CONNECTED_ACCOUNT), (), id="no-account"),
        pytest.param(
            [Account("sa_3", "tiktok", "disconnected")],
            None,
            (Action.SKIP, Reason.NO_CONNECTED_ACCOUNT),
            (),
            id="disconnected",
        ),
        pytest.param(
            [CONNECTED], Restraint.KILL_SWITCH, (Action.SKIP, Reason.KILL_SWITCH), (), id="kill-switch"
        ),
        pytest.param(
            [CONNECTED],
            Restraint.SHADOW_MODE,
            (Action.SHADOW_SCHEDULE, Reason.CLONE_APPROVED),
            (),
            id="shadow",
        ),
    ],
)
def test_the_schedule_plan(accounts, restraint, expected, targets):
    plan = plan_schedule(PUB, accounts, restraint=restraint, slot=SLOT, consented_by="policy")
    assert (plan.decided.action, plan.decided.reason) == expected
    assert plan.targets == targets
    assert plan.reserves is bool(targets)
    assert isinstance(plan.decided.evidence, PublicationStep)


@pytest.mark.parametrize(
    ("status", "code", "fields", "expected", "new_key"),
    [
        pytest.param(
            403, "APPROVAL_REQUIRED", [], PublicationStatus.AWAITING_REVIEW, True, id="403-approval-required"
        ),
        pytest.param(
            409, "CONTENT_REJECTED", [], PublicationStatus.REJECTED, False, id="409-content-rejected"
        ),
        pytest.param(
            422, "VALIDATION", ["scheduledFor"], PublicationStatus.READY, True, id="422-slot-passed"
        ),
        pytest.param(
            422,
            "VALIDATION",
            ["targets[0].socialAccountId"],
            PublicationStatus.FAILED,
            False,
            id="422-target",
        ),
        pytest.param(409, "CONFLICT", [], PublicationStatus.FAILED, False, id="409-not-completed"),
        pytest.param(404, "NOT_FOUND", [], PublicationStatus.FAILED, False, id="404"),
    ],
)
def test_every_refusal_has_its_meaning(status, code, fields, expected, new_key):
    answer = refused(status, code, fields)
    assert (answer.status, answer.new_key) == (expected, new_key)


def test_a_stashed_schedule_is_blocked_and_queued_posts_are_scheduled():
    assert accepted("blocked_on_approval", []).status is PublicationStatus.BLOCKED
    assert accepted("queued", ["sp_1"]).status is PublicationStatus.SCHEDULED


NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "scheduled_for", "poll_at"),
    [
        pytest.param(
            PostStatus.QUEUED, NOW + timedelta(hours=5), NOW + timedelta(hours=5), id="not-before-its-slot"
        ),
        pytest.param(
            PostStatus.QUEUED, NOW - timedelta(minutes=1), NOW + timedelta(seconds=30), id="queued-30s"
        ),
        pytest.param(PostStatus.PUBLISHING, NOW, NOW + timedelta(seconds=5), id="publishing-5s"),
    ],
)
def test_the_documented_poll_cadence(status, scheduled_for, poll_at):
    assert next_poll(status, scheduled_for, NOW) == poll_at


@pytest.mark.parametrize(
    ("statuses", "end"),
    [
        pytest.param(
            [PostStatus.PUBLISHED, PostStatus.FAILED], PublicationStatus.PUBLISHED, id="one-live-is-published"
        ),
        pytest.param([PostStatus.FAILED, PostStatus.CANCELED], PublicationStatus.FAILED, id="none-live"),
        pytest.param([PostStatus.PUBLISHED, PostStatus.QUEUED], None, id="one-still-queued"),
        pytest.param([], None, id="no-posts"),
    ],
)
def test_a_publication_ends_when_all_its_posts_have(statuses, end):
    assert publication_end(statuses) == end
