"""The sweeper on PostgreSQL: a lost run is resent in the same tick in which an approved action the agent
will never send (a refused method or path) is recorded as refused."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from agent.domain.decisions import NewDecision, Subject
from agent.domain.evidence import Triage
from agent.domain.vocabulary import Action, ApprovalStatus, LoopName, Reason, RunStatus, SubjectType
from agent.loops import scheduling
from agent.store import customers, dispatch, runs
from agent.store.decisions import record
from agent.store.models import Approval, Decision, Run
from tests.support.demo import ACME


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("HEAD", "/v1/projects/prj_00000003-0000-4000-8000-000000000000", id="refused-method"),
        pytest.param("PATCH", "/v1/projects/prj_1?redirect=https://evil.example", id="refused-path"),
    ],
)
def test_a_refused_approval_is_recorded_and_a_lost_run_still_resent_in_the_same_tick(
    services, sandbox, method, path
):
    now = services.now()
    with services.db.session() as session:
        acme = customers.find(session, ref=ACME)
        lost = runs.ensure(
            session, customer_id=acme.id, loop=LoopName.PUBLISH_TO_LEARN, local_date=now.date()
        ).id
        # Sent long ago and never picked up: the message is gone (Redis flushed, worker killed).
        dispatch.mark_sent(
            session, run_ids=[lost], now=now - timedelta(seconds=3 * services.settings.visibility_timeout_s)
        )
        proposal = record(
            session,
            NewDecision(
                customer_id=acme.id,
                loop=LoopName.OPTIMIZATION,
                action=Action.ACT,
                reason=Reason.AUTO_APPROVED_BY_POLICY,
                subject=Subject(SubjectType.RECOMMENDATION, acme.layers_project_id),
                evidence=Triage(0.8, 0.7, 0.5, "project", acme.layers_project_id, path, method),
            ),
        )
        session.add(
            Approval(
                decision_id=proposal,
                customer_id=acme.id,
                kind="value_propositions",
                method=method,
                path=path,
                body={"valuePropositions": ["x"]},
                idempotency_key=str(uuid.uuid4()),
                status=ApprovalStatus.APPROVED,
                decided_by="policy",
            )
        )
    sent: list[int] = []
    assert scheduling.sweep_tick(services, send=sent.append) == 1
    assert sent == [lost]
    with services.db.session() as session:
        assert session.get_one(Run, lost).status == RunStatus.QUEUED
        assert session.get_one(Approval, proposal).status == ApprovalStatus.REFUSED
        follow_ups = session.scalars(select(Decision).where(Decision.parent_id == proposal)).all()
        assert [(d.action, d.reason) for d in follow_ups] == [("refuse", "unsafe_approved_action")]
    assert sandbox[0].witness.applied() == []
