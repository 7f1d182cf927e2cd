"""Benchmark: the web decision log's pages over 100,000 decisions on a real PostgreSQL.

Seeds a fresh database (40 customers, 60 days of runs, 100,000 decisions with their clones, jobs and
proposals), serves the web app on uvicorn as a login in the read-only ops role, and times each page over
HTTP (median and p95 of repeated requests, HTML and JSON). Then it EXPLAINs the keyset queries behind the
lists, to show they walk indexes rather than the whole table.

    TEST_DATABASE_URL=postgresql+psycopg://agent:agent@localhost/agent uv run python benchmarks/web_pages.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.config import Settings, load_settings
from agent.domain.decisions import Subject
from agent.domain.records import JobEnd
from agent.domain.vocabulary import Action, JobStatus, LoopName, Reason, SubjectType
from agent.store.db import Database
from agent.store.models import Decision
from agent.store.readonly import ReadOnlyDatabase
from agent.store.reports import DecisionQuery
from agent.store.web_queries import _decision_rows, _older, filters
from agent.web import views
from agent.web.app import environment
from benchmarks.dispatch import drop_database, fresh_database
from tests.integration.web.site import ops_login, serve_web
from tests.support import builders as b

CUSTOMERS = 40
DAYS = 60
START = datetime(2026, 10, 1, tzinfo=UTC)
# (action, reason, one in how many decisions)
RARE = [
    ("clone", "breakout", 100),
    ("flag", "spend_without_conversions", 211),
    ("pending_approval", "changes_brand_configuration", 499),
    ("error", "attempts_exhausted", 9973),
]

SEED = f"""
INSERT INTO customers (layers_project_id, name, timezone)
SELECT 'prj_bench_' || c, 'customer-' || lpad(c::text, 2, '0'),
       (ARRAY['America/Los_Angeles', 'Europe/Berlin', 'Asia/Tokyo', 'UTC'])[1 + c % 4]
FROM generate_series(1, {CUSTOMERS}) c;

INSERT INTO runs (customer_id, loop, local_date, status, attempts, started_at, finished_at)
SELECT c, l, DATE '{START.date()}' + d, CASE WHEN (c + d) % 97 = 0 THEN 'failed' ELSE 'succeeded' END, 1,
       TIMESTAMPTZ '{START.isoformat()}' + d * interval '1 day',
       TIMESTAMPTZ '{START.isoformat()}' + d * interval '1 day' + interval '40 seconds'
FROM generate_series(1, {CUSTOMERS}) c, generate_series(0, {DAYS - 1}) d,
     unnest(ARRAY['publish_to_learn', 'optimization']) l;

INSERT INTO decisions (created_at, customer_id, run_id, loop, action, reason, subject_type, subject_id, evidence)
SELECT TIMESTAMPTZ '{START.isoformat()}' + i * interval '{DAYS * 86400 / 100_000} seconds',
       1 + i % {CUSTOMERS}, NULL,
       CASE WHEN i % 2 = 0 THEN 'publish_to_learn' ELSE 'optimization' END,
       CASE {" ".join(f"WHEN i % {n} = 0 THEN '{a}'" for a, _, n in RARE)} ELSE 'skip' END,
       CASE {" ".join(f"WHEN i % {n} = 0 THEN '{r}'" for _, r, n in RARE)} ELSE 'not_breakout' END,
       'platform_post', 'pp_bench_' || (1 + i % {CUSTOMERS}) || '_' || (i / 100 % 50), '{{}}'
FROM generate_series(1, {{count}}) i;

INSERT INTO clones (customer_id, decision_id, source_post_id, slot, origin, mode, variations, loop,
                    container_id, idempotency_key, job_id, status, approval_status)
SELECT customer_id, id, subject_id, NULL, 'breakout', 'fork', 2, 'publish_to_learn',
       'cnt_bench_' || id, 'key_bench_' || id, 'job_bench_' || id, 'completed', 'pending'
FROM decisions WHERE action = 'clone';

INSERT INTO approvals (decision_id, customer_id, kind, method, path, body, idempotency_key, status)
SELECT id, customer_id, 'value_propositions', 'PATCH', '/v1/projects/prj_bench_' || customer_id,
       '{{"valuePropositions": ["fast", "kind"]}}', 'key_approval_' || id, 'pending'
FROM decisions WHERE action = 'pending_approval';
"""  # noqa: S608 - built from this module's constants


def seed(url: str, count: int) -> int:
    """The bulk rows in SQL, then one real clone decision (typed evidence, clone, job) for the detail page."""
    db = Database.from_url(url)
    with db.engine.begin() as conn:
        for statement in SEED.replace("{count}", str(count)).split(";\n"):
            if statement.strip():
                conn.execute(text(statement))
    now = START + timedelta(days=DAYS)
    with db.session() as session:
        verdict = b.post_verdict(title="Latte art", engagement=0.09, median=0.03, views=4000, clone_count=0)
        made = b.cloned(
            session,
            customer_id=7,
            source_post_id="pp_bench_7_1",
            verdict=verdict,
            run_id=None,
            rule_version="ptl-v1+bench",
            dedupe_key="bench:clone",
        )
        b.job(
            session,
            made.clone,
            job_id="job_bench_real",
            submitted_at=now,
            end=JobEnd(JobStatus.COMPLETED, now),
        )
        b.decision(
            session,
            customer_id=7,
            loop=LoopName.PUBLISH_TO_LEARN,
            action=Action.SKIP,
            reason=Reason.NOT_BREAKOUT,
            subject=Subject(SubjectType.PLATFORM_POST, "pp_bench_7_2"),
            evidence=verdict,
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    db.dispose()
    return made.decision_id


def time_page(
    client: httpx.Client, path: str, repeat: int, *, json: bool = False
) -> tuple[float, float, int]:
    headers = {"accept": "application/json"} if json else {}
    client.get(path, headers=headers)  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}: {answer.text[:300]}")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(answer.content)


def time_view(db: ReadOnlyDatabase, settings: Settings, path: str, repeat: int) -> float:
    """The page's own work, in process: its queries and its template, without HTTP."""
    route, _, raw = path.partition("?")
    params = dict(parse_qsl(raw))
    env, ctx = environment(), views.Context(settings, lambda: START + timedelta(days=DAYS))
    view, template, args = ROUTES[route.rstrip("/").rsplit("/", 1)[0] if route.count("/") > 1 else route](
        route
    )
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        with db.session() as session:
            data = view(session, params, ctx, **args)
        env.get_template(template).render(params=params, **data)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


def _arg(name: str, cast: type = str) -> object:
    return lambda route: {name: cast(route.rsplit("/", 1)[1])}


ROUTES = {
    "/": lambda route: (views.fleet, "fleet.html", {}),
    "/customers": lambda route: (views.customer_page, "customer.html", _arg("customer_id", int)(route)),
    "/decisions": lambda route: (
        (views.decision_page, "decision.html", _arg("decision_id", int)(route))
        if route != "/decisions"
        else (views.decision_list, "decisions.html", {})
    ),
    "/lineage": lambda route: (views.lineage, "lineage.html", _arg("source_post_id")(route)),
    "/proposals": lambda route: (views.proposals, "proposals.html", {}),
    "/runs": lambda route: (views.runs, "runs.html", {}),
    "/health": lambda route: (views.health, "health.html", {}),
}


def explain(url: str, query: DecisionQuery, before: int | None) -> str:
    statement = _older(_decision_rows().where(*filters(query)), Decision.id, before, 50)
    sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    db = Database.from_url(url)
    with db.engine.connect() as conn:
        plan = [row[0] for row in conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}"))]
    db.dispose()
    scans = [line.strip() for line in plan if "Scan" in line and " on decisions" in line]
    total = next(line for line in plan if line.startswith("Execution Time"))
    return f"{'; '.join(scans)} | {total}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    admin = os.environ.get("TEST_DATABASE_URL")
    if not admin:
        raise SystemExit("set TEST_DATABASE_URL to a PostgreSQL the benchmark may create a database on")
    url = fresh_database(admin)
    try:
        started = time.perf_counter()
        clone_decision = seed(url, args.decisions)
        print(f"seeded {args.decisions:,} decisions in {time.perf_counter() - started:.1f}s")
        middle = args.decisions // 2
        day = (START + timedelta(days=DAYS // 2)).date()
        pages = [
            ("fleet", "/"),
            ("customer timeline (latest day)", "/customers/7"),
            ("customer timeline (a day mid-table)", f"/customers/7?date={day}"),
            ("decisions, first page", "/decisions"),
            ("decisions, a page mid-table", f"/decisions?before={middle}"),
            ("decisions, reason=breakout (1%)", "/decisions?reason=breakout"),
            ("decisions, reason=attempts_exhausted (10 rows)", "/decisions?reason=attempts_exhausted"),
            ("decisions, customer + reason", "/decisions?customer=customer-07&reason=not_breakout"),
            ("a decision", f"/decisions/{clone_decision}"),
            ("clone lineage", "/lineage/pp_bench_7_1"),
            ("proposals", "/proposals"),
            ("runs", "/runs"),
            ("health", "/health"),
        ]
        settings = load_settings(_env_file=None, database_url=url)
        with ops_login(url) as ops, serve_web(ops, settings, lambda: START + timedelta(days=DAYS)) as base:
            reader = ReadOnlyDatabase.from_url(ops)
            with httpx.Client(base_url=base, timeout=30) as client:
                print(
                    f"\n{'page':48} {'server':>8} {'HTTP':>8} {'p95':>8} {'JSON':>8}  (median ms of {args.repeat})"
                )
                baseline, _, _ = time_page(client, "/healthz", args.repeat)
                print(f"{'(HTTP round trip of /healthz, no database)':48} {'':>8} {baseline:8.1f}")
                for name, path in pages:
                    server = time_view(reader, settings, path, args.repeat)
                    median, p95, _ = time_page(client, path, args.repeat)
                    json_median, _, _ = time_page(client, path, args.repeat, json=True)
                    print(f"{name:48} {server:8.1f} {median:8.1f} {p95:8.1f} {json_median:8.1f}")
            reader.dispose()
        print("\nEXPLAIN ANALYZE of the keyset queries (scans of `decisions` only):")
        for name, query, before in [
            ("first page", DecisionQuery(), None),
            ("mid-table page", DecisionQuery(), middle),
            ("reason=breakout", DecisionQuery(reason="breakout"), None),
            ("reason=attempts_exhausted", DecisionQuery(reason="attempts_exhausted"), None),
            (
                "customer 7, one day",
                DecisionQuery(
                    customer_id=7, since=START + timedelta(days=30), until=START + timedelta(days=31)
                ),
                None,
            ),
        ]:
            print(f"  {name:28} {explain(url, query, before)}")
    finally:
        drop_database(admin, url)


if __name__ == "__main__":
    main()
