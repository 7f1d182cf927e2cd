"""The ops commands on a real PostgreSQL: a CLI runner pointed at the session database, and a seeded
story of three customers whose week the decision table tells.

The story, as ops would read it the morning after:

* Acme Coffee (publish-to-learn): ten days ago Layers had no data yet; four days ago too few posts had
  views; today its latte-art reel broke out (0.091 engagement, 2.6x the median) and was cloned as the
  source's second clone, which completed and now waits for the customer's approval; the cold-brew post
  was not a breakout.
* Northwind Fitness (optimization): a spin-class ad spent 182.40 without a conversion; a rewrite of its
  value propositions waits for approval; an earlier rewrite was approved by Maria and executed. Its
  optimization run failed on a revoked API key (the stored error carries the redaction marker).
* Harbor Books (publish-to-learn): its first-edition unboxing post already had four clones; the fifth
  failed (the source went private), a retry took the fifth slot, and the cap then stopped a sixth.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from agent.cli import app
from agent.config import get_settings
from agent.store import clones, customers
from agent.store.db import Database
from agent.store.decisions import NewDecision, record
from agent.store.models import Approval, Clone, Decision, Job, Run

Invoke = Callable[..., Result]

PTL_RULES = "ptl-v1+3f9c2a"
OPT_RULES = "opt-v1+81be07"
THRESHOLDS = {"breakout_multiple": 2.0, "min_engagement": 0.04, "min_views": 50, "max_clones_per_source": 5}

ACME_LATTE = "pp_acme_latte_art"
ACME_COLD_BREW = "pp_acme_cold_brew"
HARBOR_UNBOXING = "pp_harbor_first_edition"
NORTHWIND_AD = "ad_nw_spin_promo"
RUN_ERROR = "HTTP 401 UNAUTHENTICATED: API key lp_[redacted] was revoked"  # as redaction stores it
CLONE_ERROR = "source post is private [owner changed its visibility]"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`agent …` in-process, reading its settings from the environment like the real command."""
    get_settings.cache_clear()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HEALTH_MAX_JOB_FAILURES_PER_DAY", "3")
    monkeypatch.setenv("HEALTH_MAX_OVERRIDES_PER_WEEK", "3")
    monkeypatch.setenv("HEALTH_SCORE_DROP_RATIO", "0.2")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    # The command's callback re-configures logging onto the runner's (soon closed) stderr: put it back.
    root = logging.getLogger()
    handlers, level, structlog_config = root.handlers[:], root.level, structlog.get_config()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**structlog_config)
    get_settings.cache_clear()


def first_cells(output: str) -> list[str]:
    """The first cell of every body row of a Rich table (header and wrapped continuation lines skipped)."""
    cells = [line.split("│")[1].strip() for line in output.splitlines() if line.count("│") > 2]
    return [cell for cell in cells if cell]


def table_row(output: str, first_cell: str) -> str:
    """One row of a Rich table, with the continuation lines of its wrapped cells joined on."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        cells = line.split("│")
        if len(cells) > 2 and cells[1].strip() == first_cell:
            row = [line]
            for more in lines[i + 1 :]:
                more_cells = more.split("│")
                if len(more_cells) <= 2 or more_cells[1].strip():
                    break
                row.append(more)
            return " ".join(row)
    raise AssertionError(f"no table row starts with {first_cell!r} in:\n{output}")


@dataclass(frozen=True)
class Story:
    now: datetime
    acme: int
    northwind: int
    harbor: int
    acme_run: int
    northwind_run: int
    harbor_run: int
    acme_no_data: int  # 10 days ago
    acme_insufficient: int  # 4 days ago
    acme_clone: int
    acme_not_breakout: int
    northwind_flag: int
    northwind_pending: int
    northwind_executed: int
    northwind_approved_by_maria: int
    northwind_execution: int
    harbor_failed_clone: int
    harbor_retry: int
    harbor_cap: int
    acme_clone_container: str
    acme_clone_finished: datetime
    maria_decided_at: datetime
    executed_at: datetime
    newest_first: tuple[int, ...]

    def acme_ids(self) -> set[int]:
        return {self.acme_no_data, self.acme_insufficient, self.acme_clone, self.acme_not_breakout}


def _post_evidence(
    *, title: str, engagement: float, median: float, views: int, clone_count: int, clone: bool
) -> dict:
    return {
        "title": title,
        "rank": 1,
        "engagement_rate": engagement,
        "median_engagement_rate": median,
        "ratio_to_median": engagement / median,
        "views": views,
        "thresholds": THRESHOLDS,
        "clone_count": clone_count,
        "clone_number": clone_count + 1 if clone else None,
    }


def _old_decision(session: Session, created_at: datetime, **values: object) -> int:
    """A decision from an earlier day: `record` takes the server's now(), so insert with the old time."""
    decision = Decision(created_at=created_at, **{"actor": "agent", **values})
    session.add(decision)
    session.flush()
    return decision.id


def _clone(
    session: Session, decision_id: int | None, customer_id: int, source: str, **final: object
) -> Clone:
    clone = clones.reserve(
        session,
        customer_id=customer_id,
        run_id=None,
        decision_id=decision_id,
        source_post_id=source,
        mode="fork",
        variations=2,
        origin="breakout" if decision_id else "prior",
    )
    assert clone is not None
    for key, value in final.items():
        setattr(clone, key, value)
    session.flush()
    return clone


def _job(session: Session, clone: Clone, *, status: str, finished_at: datetime) -> Job:
    job = Job(
        job_id=clone.job_id,
        kind="clone",
        customer_id=clone.customer_id,
        clone_id=clone.id,
        status=status,
        poll_attempts=7,
        poll_interval_s=10.0,
        next_poll_at=finished_at,
        deadline_at=finished_at + timedelta(minutes=10),
        finished_at=finished_at,
    )
    session.add(job)
    session.flush()
    return job


def seed_story(db: Database) -> Story:
    now = datetime.now(UTC).replace(microsecond=0)
    with db.session() as session:
        acme = customers.add(
            session,
            layers_project_id="prj_acme_coffee",
            name="Acme Coffee",
            timezone="America/New_York",
            external_id="crm-0042",
            stage="growth",
        ).id
        northwind = customers.add(
            session,
            layers_project_id="prj_northwind_fit",
            name="Northwind Fitness",
            timezone="Europe/London",
            external_id="crm-0077",
        ).id
        harbor = customers.add(
            session,
            layers_project_id="prj_harbor_books",
            name="Harbor Books",
            timezone="America/Los_Angeles",
            external_id="crm-0103",
        ).id

        acme_started = now - timedelta(hours=2)
        acme_run = Run(
            customer_id=acme,
            loop="publish_to_learn",
            local_date=acme_started.date(),
            status="succeeded",
            attempts=1,
            rule_version=PTL_RULES,
            started_at=acme_started,
            planned_at=acme_started + timedelta(seconds=30),
            finished_at=acme_started + timedelta(seconds=42.5),
        )
        nw_started = now - timedelta(minutes=90)
        northwind_run = Run(
            customer_id=northwind,
            loop="optimization",
            local_date=nw_started.date(),
            status="failed",
            attempts=3,
            rule_version=OPT_RULES,
            started_at=nw_started,
            finished_at=nw_started + timedelta(seconds=3),
            error=RUN_ERROR,
        )
        harbor_run = Run(
            customer_id=harbor, loop="publish_to_learn", local_date=now.date(), status="queued", attempts=0
        )
        session.add_all([acme_run, northwind_run, harbor_run])
        session.flush()

        # Acme Coffee: two quiet days, then a breakout.
        acme_no_data = _old_decision(
            session,
            now - timedelta(days=10),
            customer_id=acme,
            loop="publish_to_learn",
            action="skip",
            reason="no_performance_data",
            subject_type="project",
            subject_id="prj_acme_coffee",
            evidence={"posts_seen": 0, "thresholds": THRESHOLDS},
            rule_version=PTL_RULES,
        )
        acme_insufficient = _old_decision(
            session,
            now - timedelta(days=4),
            customer_id=acme,
            loop="publish_to_learn",
            action="skip",
            reason="insufficient_data",
            subject_type="project",
            subject_id="prj_acme_coffee",
            evidence={"posts_seen": 6, "posts_eligible": 3, "median_engagement_rate": 0.031},
            rule_version=PTL_RULES,
        )
        _clone(session, None, acme, ACME_LATTE, status="completed")  # cloned by hand before the agent
        acme_clone = record(
            session,
            NewDecision(
                customer_id=acme,
                run_id=acme_run.id,
                loop="publish_to_learn",
                action="clone",
                reason="breakout",
                subject_type="platform_post",
                subject_id=ACME_LATTE,
                evidence=_post_evidence(
                    title="Latte art in 15 seconds",
                    engagement=0.091,
                    median=0.035,
                    views=4210,
                    clone_count=1,
                    clone=True,
                ),
                rule_version=PTL_RULES,
                dedupe_key=f"run:{acme_run.id}:post:{ACME_LATTE}",
            ),
        ).id
        acme_clone_finished = now - timedelta(minutes=100)
        latte = _clone(
            session,
            acme_clone,
            acme,
            ACME_LATTE,
            status="completed",
            job_id="job_acme_latte_2",
            submitted_at=acme_started + timedelta(seconds=40),
            finished_at=acme_clone_finished,
            approval_status="pending",
        )
        _job(session, latte, status="completed", finished_at=acme_clone_finished)
        acme_not_breakout = record(
            session,
            NewDecision(
                customer_id=acme,
                run_id=acme_run.id,
                loop="publish_to_learn",
                action="skip",
                reason="not_breakout",
                subject_type="platform_post",
                subject_id=ACME_COLD_BREW,
                evidence=_post_evidence(
                    title="Cold brew, slowly",
                    engagement=0.041,
                    median=0.035,
                    views=1830,
                    clone_count=0,
                    clone=False,
                ),
                rule_version=PTL_RULES,
            ),
        ).id

        # Northwind Fitness: a worrying ad, and two brand rewrites that need consent.
        window_until = now - timedelta(hours=3)
        northwind_flag = record(
            session,
            NewDecision(
                customer_id=northwind,
                run_id=northwind_run.id,
                loop="optimization",
                action="flag",
                reason="spend_without_conversions",
                subject_type="ad",
                subject_id=NORTHWIND_AD,
                evidence={
                    "spend": 182.4,
                    "impressions": 9120,
                    "conversions": 0,
                    "window_since": (window_until - timedelta(days=7)).isoformat(),
                    "window_until": window_until.isoformat(),
                    "threshold": 50.0,
                    "ads_content_id": "adc_nw_spin",
                },
                rule_version=OPT_RULES,
            ),
        ).id
        northwind_pending = record(
            session,
            NewDecision(**_proposal_values(northwind, northwind_run.id, "rec_nw_vp_2", confidence=0.82)),
        ).id
        session.add(
            Approval(
                decision_id=northwind_pending,
                customer_id=northwind,
                kind="value_propositions",
                method="PATCH",
                path="/v1/projects/prj_northwind_fit/value-propositions",
                body={"valuePropositions": ["Spin classes at 6am", "First week free"]},
                idempotency_key=str(uuid.uuid4()),
                status="pending",
            )
        )
        # The earlier rewrite: proposed two days ago, approved by Maria the next day, executed at once.
        maria_decided_at, executed_at = now - timedelta(hours=26), now - timedelta(hours=25, minutes=59)
        northwind_executed = _old_decision(
            session,
            now - timedelta(days=2),
            **_proposal_values(northwind, northwind_run.id, "rec_nw_vp_1", confidence=0.77),
        )
        session.add(
            Approval(
                decision_id=northwind_executed,
                customer_id=northwind,
                kind="value_propositions",
                method="PATCH",
                path="/v1/projects/prj_northwind_fit/value-propositions",
                body={"valuePropositions": ["Classes for every level"]},
                idempotency_key=str(uuid.uuid4()),
                status="executed",
                decided_by="maria@northwind.example",
                decided_at=maria_decided_at,
                note="looks right",
                executed_at=executed_at,
                result={"response": {"ok": True}},
            )
        )
        session.flush()
        followups = [
            _old_decision(
                session,
                when,
                customer_id=northwind,
                run_id=northwind_run.id,
                loop="optimization",
                action=action,
                reason=reason,
                subject_type="recommendation",
                subject_id="rec_nw_vp_1",
                evidence={"method": "PATCH", "kind": "value_propositions"},
                actor=actor,
                parent_id=northwind_executed,
                dedupe_key=f"approval:{northwind_executed}:{action}",
            )
            for when, action, reason, actor in (
                (maria_decided_at, "approve", "approved_by_customer", "maria@northwind.example"),
                (executed_at, "execute", "executed_after_approval", "agent"),
            )
        ]

        # Harbor Books: four earlier clones, a failed fifth, its retry, and the cap.
        for _ in range(4):
            _clone(session, None, harbor, HARBOR_UNBOXING, status="completed")
        harbor_failed_clone = _harbor_clone_decision(session, harbor, "run:h1")
        failed = _clone(
            session,
            harbor_failed_clone,
            harbor,
            HARBOR_UNBOXING,
            job_id="job_harbor_5a",
            submitted_at=now - timedelta(days=1, hours=1),
        )
        clones.finish(
            session,
            failed,
            status="failed",
            now=now - timedelta(days=1),
            error_code="SOURCE_UNAVAILABLE",
            error_message=CLONE_ERROR,
        )
        _job(session, failed, status="failed", finished_at=now - timedelta(days=1))
        harbor_retry = _harbor_clone_decision(session, harbor, "run:h2")
        _clone(session, harbor_retry, harbor, HARBOR_UNBOXING, status="completed", job_id="job_harbor_5b")
        harbor_cap = record(
            session,
            NewDecision(
                customer_id=harbor,
                run_id=harbor_run.id,
                loop="publish_to_learn",
                action="skip",
                reason="clone_cap_reached",
                subject_type="platform_post",
                subject_id=HARBOR_UNBOXING,
                evidence=_post_evidence(
                    title="Unboxing a first edition",
                    engagement=0.12,
                    median=0.04,
                    views=9800,
                    clone_count=5,
                    clone=False,
                ),
                rule_version=PTL_RULES,
            ),
        ).id
        newest_first = tuple(
            session.scalars(select(Decision.id).order_by(Decision.created_at.desc(), Decision.id.desc()))
        )
        return Story(
            now=now,
            acme=acme,
            northwind=northwind,
            harbor=harbor,
            acme_run=acme_run.id,
            northwind_run=northwind_run.id,
            harbor_run=harbor_run.id,
            acme_no_data=acme_no_data,
            acme_insufficient=acme_insufficient,
            acme_clone=acme_clone,
            acme_not_breakout=acme_not_breakout,
            northwind_flag=northwind_flag,
            northwind_pending=northwind_pending,
            northwind_executed=northwind_executed,
            northwind_approved_by_maria=followups[0],
            northwind_execution=followups[1],
            harbor_failed_clone=harbor_failed_clone,
            harbor_retry=harbor_retry,
            harbor_cap=harbor_cap,
            acme_clone_container=latte.container_id,
            acme_clone_finished=acme_clone_finished,
            maria_decided_at=maria_decided_at,
            executed_at=executed_at,
            newest_first=newest_first,
        )


def _proposal_values(customer_id: int, run_id: int, recommendation: str, confidence: float) -> dict:
    return {
        "customer_id": customer_id,
        "run_id": run_id,
        "loop": "optimization",
        "action": "pending_approval",
        "reason": "changes_brand_configuration",
        "subject_type": "recommendation",
        "subject_id": recommendation,
        "evidence": {
            "recommendation_id": recommendation,
            "confidence": confidence,
            "act_confidence": 0.7,
            "surface_confidence": 0.5,
            "suggested_endpoint": "/v1/projects/prj_northwind_fit/value-propositions",
            "suggested_method": "PATCH",
        },
        "rule_version": OPT_RULES,
        "dedupe_key": f"rec:value_propositions:{recommendation}",
    }


def _harbor_clone_decision(session: Session, customer_id: int, key: str) -> int:
    return record(
        session,
        NewDecision(
            customer_id=customer_id,
            loop="publish_to_learn",
            action="clone",
            reason="breakout",
            subject_type="platform_post",
            subject_id=HARBOR_UNBOXING,
            evidence=_post_evidence(
                title="Unboxing a first edition",
                engagement=0.12,
                median=0.04,
                views=9800,
                clone_count=4,
                clone=True,
            ),
            rule_version=PTL_RULES,
            dedupe_key=f"{key}:post:{HARBOR_UNBOXING}",
        ),
    ).id


@pytest.fixture
def story(db: Database) -> Story:
    return seed_story(db)
