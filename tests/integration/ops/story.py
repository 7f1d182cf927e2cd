"""The story the ops commands are tested on: three customers whose week the decision table tells.

As ops would read it the morning after:

* Acme Coffee (publish-to-learn): ten days ago Layers had no data yet; four days ago too few posts had
  views; today its latte-art reel broke out (0.091 engagement, 2.6x the median) and was cloned as the
  source's second clone, which completed and now waits for the customer's approval; the cold-brew post
  was not a breakout.
* Northwind Fitness (optimization): a spin-class ad spent 182.40 without a conversion; a rewrite of its
  value propositions waits for approval; an earlier rewrite was approved by Maria and executed. Its
  optimization run failed on a revoked API key (the stored error carries the redaction marker).
* Harbor Books (publish-to-learn): its first-edition unboxing post already had four clones; the fifth
  failed (the source went private), a retry took the fifth slot, and the cap then stopped a sixth.

Decisions from an earlier day belong to runs older than the story (their `run_id` is empty).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.decisions import Subject
from agent.domain.records import JobEnd
from agent.domain.vocabulary import Action, JobStatus, LoopName, Reason, Stage, SubjectType
from agent.store import customers
from agent.store.db import Database
from agent.store.models import Decision
from tests.integration.ops import runs
from tests.support import builders as b

PTL = LoopName.PUBLISH_TO_LEARN
OPT = LoopName.OPTIMIZATION
PTL_RULES = "ptl-v1+3f9c2a"
OPT_RULES = "opt-v1+81be07"

ACME_PROJECT = "prj_acme_coffee"
NORTHWIND_PROJECT = "prj_northwind_fit"
ACME_LATTE = "pp_acme_latte_art"
ACME_COLD_BREW = "pp_acme_cold_brew"
HARBOR_UNBOXING = "pp_harbor_first_edition"
NORTHWIND_AD = "ad_nw_spin_promo"
VALUE_PROPOSITIONS_PATH = f"/v1/projects/{NORTHWIND_PROJECT}/value-propositions"
RUN_ERROR = "HTTP 401 UNAUTHENTICATED: API key lp_[redacted] was revoked"  # as redaction stores it
CLONE_ERROR = "source post is private [owner changed its visibility]"


@dataclass(frozen=True)
class AcmeWeek:
    acme: int
    acme_run: int
    acme_no_data: int  # 10 days ago
    acme_insufficient: int  # 4 days ago
    acme_clone: int
    acme_not_breakout: int
    acme_clone_container: str
    acme_clone_finished: datetime


@dataclass(frozen=True)
class NorthwindWeek:
    northwind: int
    northwind_run: int
    northwind_flag: int
    northwind_pending: int
    northwind_executed: int
    northwind_approved_by_maria: int
    northwind_execution: int
    maria_decided_at: datetime
    executed_at: datetime


@dataclass(frozen=True)
class HarborWeek:
    harbor: int
    harbor_run: int
    harbor_failed_clone: int
    harbor_retry: int
    harbor_cap: int


@dataclass(frozen=True)
class Story(AcmeWeek, NorthwindWeek, HarborWeek):
    """Each customer's week (its id, today's run, its decisions' ids and the times they tell), and every
    decision id newest first."""

    now: datetime
    newest_first: tuple[int, ...]

    def acme_ids(self) -> set[int]:
        return {self.acme_no_data, self.acme_insufficient, self.acme_clone, self.acme_not_breakout}


def seed_story(db: Database) -> Story:
    now = datetime.now(UTC).replace(microsecond=0)
    with db.session() as session:
        acme, northwind, harbor = _acme(session, now), _northwind(session, now), _harbor(session, now)
        newest_first = tuple(
            session.scalars(select(Decision.id).order_by(Decision.created_at.desc(), Decision.id.desc()))
        )
        weeks = {**asdict(acme), **asdict(northwind), **asdict(harbor)}
        return Story(now=now, newest_first=newest_first, **weeks)


def _acme(session: Session, now: datetime) -> AcmeWeek:
    """Two quiet days, then a breakout."""
    acme = _customer(session, ACME_PROJECT, "Acme Coffee", "America/New_York", "crm-0042", Stage.GROWTH)
    started = now - timedelta(hours=2)
    run_id = runs.succeeded(
        session,
        customer_id=acme,
        loop=PTL,
        started=started,
        planned=started + timedelta(seconds=30),
        took=timedelta(seconds=42.5),
        rule_version=PTL_RULES,
    )
    no_data = b.decision(
        session,
        customer_id=acme,
        loop=PTL,
        action=Action.SKIP,
        reason=Reason.NO_PERFORMANCE_DATA,
        subject=Subject(SubjectType.CUSTOMER, ACME_PROJECT),
        evidence=b.summary(
            posts_seen=0, posts_eligible=0, skipped=Reason.NO_PERFORMANCE_DATA, stage=Stage.GROWTH
        ),
        rule_version=PTL_RULES,
        created_at=now - timedelta(days=10),
    )
    insufficient = b.decision(
        session,
        customer_id=acme,
        loop=PTL,
        action=Action.SKIP,
        reason=Reason.INSUFFICIENT_DATA,
        subject=Subject(SubjectType.CUSTOMER, ACME_PROJECT),
        evidence=b.summary(
            posts_seen=6, posts_eligible=3, median=0.031, skipped=Reason.INSUFFICIENT_DATA, stage=Stage.GROWTH
        ),
        rule_version=PTL_RULES,
        created_at=now - timedelta(days=4),
    )
    b.prior_clones(session, customer_id=acme, source_post_id=ACME_LATTE)  # cloned by hand before the agent
    latte = b.cloned(
        session,
        customer_id=acme,
        source_post_id=ACME_LATTE,
        verdict=b.post_verdict(
            title="Latte art in 15 seconds",
            engagement=0.091,
            median=0.035,
            views=4210,
            clone_count=1,
            cloned=True,
        ),
        run_id=run_id,
        rule_version=PTL_RULES,
        dedupe_key=f"run:{run_id}:post:{ACME_LATTE}",
    )
    finished = now - timedelta(minutes=100)
    b.job(
        session,
        latte.clone,
        job_id="job_acme_latte_2",
        submitted_at=started + timedelta(seconds=40),
        end=JobEnd(JobStatus.COMPLETED, finished, approval_status="pending"),
    )
    not_breakout = b.decision(
        session,
        customer_id=acme,
        loop=PTL,
        action=Action.SKIP,
        reason=Reason.NOT_BREAKOUT,
        subject=Subject(SubjectType.PLATFORM_POST, ACME_COLD_BREW),
        evidence=b.post_verdict(
            title="Cold brew, slowly", engagement=0.041, median=0.035, views=1830, clone_count=0
        ),
        run_id=run_id,
        rule_version=PTL_RULES,
        dedupe_key=f"run:{run_id}:post:{ACME_COLD_BREW}",
    )
    return AcmeWeek(
        acme=acme,
        acme_run=run_id,
        acme_no_data=no_data,
        acme_insufficient=insufficient,
        acme_clone=latte.decision_id,
        acme_not_breakout=not_breakout,
        acme_clone_container=latte.clone.container_id,
        acme_clone_finished=finished,
    )


def _northwind(session: Session, now: datetime) -> NorthwindWeek:
    """A worrying ad, two brand rewrites that need consent, and a run that failed on a revoked key."""
    northwind = _customer(session, NORTHWIND_PROJECT, "Northwind Fitness", "Europe/London", "crm-0077")
    run_id = runs.failed(
        session,
        customer_id=northwind,
        loop=OPT,
        started=now - timedelta(minutes=90),
        took=timedelta(seconds=3),
        attempts=3,
        error=RUN_ERROR,
    )
    flag = b.decision(
        session,
        customer_id=northwind,
        loop=OPT,
        action=Action.FLAG,
        reason=Reason.SPEND_WITHOUT_CONVERSIONS,
        subject=Subject(SubjectType.AD, NORTHWIND_AD),
        evidence=b.spend_flag(
            spend=182.4,
            impressions=9120.0,
            window_until=now - timedelta(hours=3),
            ads_content_id="adc_nw_spin",
        ),
        run_id=run_id,
        rule_version=OPT_RULES,
        dedupe_key=f"run:{run_id}:ad:{NORTHWIND_AD}",
    )
    pending = _rewrite(
        session, northwind, run_id, "rec_nw_vp_2", 0.82, ["Spin classes at 6am", "First week free"], now=now
    )
    # The earlier rewrite: proposed two days ago, approved by Maria the next day, executed at once.
    maria_decided_at, executed_at = now - timedelta(hours=26), now - timedelta(hours=25, minutes=59)
    proposed_at = now - timedelta(days=2)
    executed = _rewrite(
        session, northwind, None, "rec_nw_vp_1", 0.77, ["Classes for every level"], now=proposed_at, old=True
    )
    approved = b.approve(
        session, decision_id=executed, by="maria@northwind.example", at=maria_decided_at, note="looks right"
    )
    execution = b.execute(session, decision_id=executed, at=executed_at, response={"ok": True})
    return NorthwindWeek(
        northwind=northwind,
        northwind_run=run_id,
        northwind_flag=flag,
        northwind_pending=pending,
        northwind_executed=executed,
        northwind_approved_by_maria=approved,
        northwind_execution=execution,
        maria_decided_at=maria_decided_at,
        executed_at=executed_at,
    )


def _rewrite(
    session: Session,
    northwind: int,
    run_id: int | None,
    recommendation: str,
    confidence: float,
    propositions: list[str],
    *,
    now: datetime,
    old: bool = False,
) -> int:
    """A value-propositions rewrite proposed at `now` (an `old` one on an earlier day), held for consent."""
    proposal = b.decision(
        session,
        customer_id=northwind,
        loop=OPT,
        action=Action.PENDING_APPROVAL,
        reason=Reason.CHANGES_BRAND_CONFIGURATION,
        subject=Subject(SubjectType.RECOMMENDATION, recommendation),
        evidence=b.triage(
            recommendation_id=recommendation,
            confidence=confidence,
            method="PATCH",
            endpoint=VALUE_PROPOSITIONS_PATH,
            subject_id=NORTHWIND_PROJECT,
        ),
        run_id=run_id,
        rule_version=OPT_RULES,
        dedupe_key=f"rec:value_propositions:{recommendation}",
        created_at=now if old else None,
    )
    b.propose(
        session,
        decision_id=proposal,
        kind="value_propositions",
        method="PATCH",
        path=VALUE_PROPOSITIONS_PATH,
        body={"valuePropositions": propositions},
        now=now,
    )
    return proposal


def _harbor(session: Session, now: datetime) -> HarborWeek:
    """Four earlier clones, a failed fifth, its retry, and the cap; today's run is still queued."""
    harbor = _customer(session, "prj_harbor_books", "Harbor Books", "America/Los_Angeles", "crm-0103")
    run_id = runs.queued(session, customer_id=harbor, loop=PTL, now=now)
    b.prior_clones(session, customer_id=harbor, source_post_id=HARBOR_UNBOXING, count=4)
    fifth = partial(
        b.cloned,
        session,
        customer_id=harbor,
        source_post_id=HARBOR_UNBOXING,
        verdict=_unboxing(clone_count=4, cloned=True),
        run_id=None,
        rule_version=PTL_RULES,
    )
    failed = fifth(dedupe_key=f"run:h1:post:{HARBOR_UNBOXING}")
    gone = JobEnd(
        JobStatus.FAILED, now - timedelta(days=1), error_code="SOURCE_UNAVAILABLE", error_message=CLONE_ERROR
    )
    b.job(
        session, failed.clone, job_id="job_harbor_5a", submitted_at=now - timedelta(days=1, hours=1), end=gone
    )
    retry = fifth(dedupe_key=f"run:h2:post:{HARBOR_UNBOXING}")
    done = JobEnd(JobStatus.COMPLETED, now - timedelta(hours=19))
    b.job(session, retry.clone, job_id="job_harbor_5b", submitted_at=now - timedelta(hours=20), end=done)
    cap = b.decision(
        session,
        customer_id=harbor,
        loop=PTL,
        action=Action.SKIP,
        reason=Reason.CLONE_CAP_REACHED,
        subject=Subject(SubjectType.PLATFORM_POST, HARBOR_UNBOXING),
        evidence=_unboxing(clone_count=5, cloned=False),
        run_id=run_id,
        rule_version=PTL_RULES,
        dedupe_key=f"run:{run_id}:post:{HARBOR_UNBOXING}",
    )
    return HarborWeek(harbor, run_id, failed.decision_id, retry.decision_id, cap)


_unboxing = partial(
    b.post_verdict, title="Unboxing a first edition", engagement=0.12, median=0.04, views=9800
)


def _customer(
    session: Session, project: str, name: str, tz: str, external_id: str, stage: Stage = Stage.EARLY
) -> int:
    return customers.add(
        session, layers_project_id=project, name=name, timezone=tz, external_id=external_id, stage=stage
    ).id
