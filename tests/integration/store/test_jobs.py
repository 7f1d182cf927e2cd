"""The job poller's state on PostgreSQL: a timed-out job is still reconciled, the decision table shows both
the timeout and the real end, the work takes that end once, and recent durations feed the first poll."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from agent.domain.records import JobEnd
from agent.domain.vocabulary import JobStatus, WorkKind
from agent.loops import job_endings
from agent.store import customers, jobs
from agent.store.models import Clone, Decision, Job
from tests.support import builders as b
from tests.support.demo import ACME


def timed_out_clone(services, source="pp_slow", job_id="job_slow"):
    now = services.now()
    with services.db.session() as session:
        acme = customers.find(session, ref=ACME).id
        made = b.cloned(
            session,
            customer_id=acme,
            source_post_id=source,
            verdict=b.post_verdict(
                title="slow", engagement=0.09, median=0.03, views=900, clone_count=0, cloned=True
            ),
            run_id=None,
            rule_version="t",
            dedupe_key=f"clone:{source}",
        )
        b.job(session, made.clone, job_id=job_id, submitted_at=now - timedelta(seconds=700))
        (due,) = jobs.claim_due(session, now=now, limit=10, lease_s=60)
    settings = services.settings
    end = JobEnd(
        JobStatus.TIMED_OUT,
        now,
        error_code="JOB_TIMEOUT",
        reconcile_until=now + timedelta(seconds=settings.job_reconcile_for_s),
        next_poll_at=now + timedelta(seconds=settings.job_reconcile_interval_s),
    )
    job_endings.record_end(services, due, end)
    return made


def test_a_timed_out_clone_that_completes_later_keeps_its_slot_and_the_record_shows_both(services, sandbox):
    made = timed_out_clone(services)
    now = services.now()
    with services.db.session() as session:
        clone = session.get_one(Clone, made.clone.id)
        assert (clone.status, clone.slot) == ("timed_out", 1)
        assert jobs.claim_due(session, now=now + timedelta(seconds=299), limit=10, lease_s=60) == []
        (due,) = jobs.claim_due(session, now=now + timedelta(seconds=300), limit=10, lease_s=60)
    assert (due.status, due.decision_id) == (JobStatus.TIMED_OUT, made.decision_id)
    later = now + timedelta(seconds=300)
    job_endings.record_end(services, due, JobEnd(JobStatus.COMPLETED, later, duration_s=640.0))
    job_endings.record_end(services, due, JobEnd(JobStatus.FAILED, later))  # a late duplicate: no change
    with services.db.session() as session:
        clone = session.get_one(Clone, made.clone.id)
        job = session.scalars(select(Job).where(Job.job_id == "job_slow")).one()
        follow_ups = session.scalars(
            select(Decision).where(Decision.subject_id == "job_slow").order_by(Decision.id)
        )
        timeout, reconciled = list(follow_ups)
        assert (clone.status, clone.slot) == ("completed", 1)
        assert (job.status, job.duration_s, job.timeout_decision_id) == ("completed", 640.0, timeout.id)
        assert (timeout.reason, timeout.parent_id) == ("job_timed_out", made.decision_id)
        assert (reconciled.reason, reconciled.parent_id) == ("job_reconciled", timeout.id)
        assert reconciled.evidence["previous_status"] == "timed_out"
        assert jobs.recent_durations(session, kind=WorkKind.CLONE, limit=10) == [640.0]


def test_a_timed_out_clone_that_fails_later_gives_its_slot_back(services, sandbox):
    made = timed_out_clone(services)
    later = services.now() + timedelta(seconds=300)
    with services.db.session() as session:
        (due,) = jobs.claim_due(session, now=later, limit=10, lease_s=60)
    job_endings.record_end(services, due, JobEnd(JobStatus.FAILED, later, error_code="SOURCE_UNAVAILABLE"))
    with services.db.session() as session:
        clone = session.get_one(Clone, made.clone.id)
        assert (clone.status, clone.slot) == ("failed", None)


def test_reconciliation_ends_with_its_window(services, sandbox):
    timed_out_clone(services)
    after = services.now() + timedelta(seconds=services.settings.job_reconcile_for_s + 1)
    with services.db.session() as session:
        assert jobs.claim_due(session, now=after, limit=10, lease_s=60) == []
