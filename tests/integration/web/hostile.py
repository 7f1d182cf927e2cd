"""A customer whose data is hostile: a post title, a Layers error and a proposal body that are markup, the
way a compromised account or a broken upstream would hand them to us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from agent.domain.decisions import Subject
from agent.domain.records import JobEnd
from agent.domain.vocabulary import Action, JobStatus, LoopName, Reason, SubjectType
from agent.store import customers
from agent.store.db import Database
from tests.support import builders as b

TITLE = '<script>document.title="pwned"</script><b id="bold">hot</b>'
ERROR = "<img src=x onerror=\"document.title='pwned'\">"
NAME = 'Evil <i id="italic">Corp</i>'
POST = "pp_hostile_post"


@dataclass(frozen=True)
class Hostile:
    customer_id: int
    clone_decision: int
    job_id: str


def seed_hostile(db: Database) -> Hostile:
    with db.session() as session:
        customer = customers.add(session, layers_project_id="prj_hostile", name=NAME, timezone="UTC").id
        verdict = b.post_verdict(title=TITLE, engagement=0.09, median=0.03, views=900, clone_count=0)
        made = b.cloned(
            session,
            customer_id=customer,
            source_post_id=POST,
            verdict=verdict,
            run_id=None,
            rule_version="ptl-v1+hostile",
            dedupe_key="hostile:clone",
        )
        now = datetime.now(UTC)
        b.job(
            session,
            made.clone,
            job_id="job_hostile",
            submitted_at=now,
            end=JobEnd(
                status=JobStatus.FAILED, now=now, error_code="SOURCE_UNAVAILABLE", error_message=ERROR
            ),
        )
        pending = b.decision(
            session,
            customer_id=customer,
            loop=LoopName.OPTIMIZATION,
            action=Action.PENDING_APPROVAL,
            reason=Reason.CHANGES_BRAND_CONFIGURATION,
            subject=Subject(SubjectType.RECOMMENDATION, "prj_hostile"),
            evidence=b.triage(
                recommendation_id=TITLE,
                confidence=0.75,
                method="PATCH",
                endpoint="/v1/projects/prj_hostile",
                subject_id="prj_hostile",
            ),
        )
        b.propose(
            session,
            decision_id=pending,
            kind="value_propositions",
            method="PATCH",
            path="/v1/projects/prj_hostile",
            now=now,
            body={"valuePropositions": [TITLE]},
        )
    return Hostile(customer, made.decision_id, "job_hostile")
