"""Benchmark: one dispatcher tick for 1k, 10k and 100k customers on a real PostgreSQL.

Reports, per size, the time to create the due runs, the time to drain the outbox (with a no-op send,
so it measures the database side), and how many SQL statements the tick issued: the number must not
grow with the number of customers.

    TEST_DATABASE_URL=postgresql+psycopg://agent:agent@localhost/agent uv run python benchmarks/dispatch.py
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from datetime import UTC, datetime
from datetime import time as clock

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

from agent.domain.vocabulary import LoopName
from agent.store import migrate
from agent.store.db import Database
from agent.store.dispatch import create_due_runs, lock_unsent, mark_sent
from agent.store.models import Customer

TIMEZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "UTC",
]
RUN_TIMES = [clock(h, m) for h in (5, 6, 7, 8) for m in (0, 30)]
SEND_BATCH = 500


def fresh_database(admin_url: str) -> str:
    name = f"agent_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    return url


def drop_database(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def seed(db: Database, count: int) -> None:
    rng = random.Random(count)
    rows = [
        {
            "layers_project_id": f"prj_{i:07d}",
            "name": f"customer-{i:07d}",
            "timezone": rng.choice(TIMEZONES),
            "run_at": rng.choice(RUN_TIMES),
            "threshold_overrides": {},
            "auto_approve_kinds": [],
        }
        for i in range(count)
    ]
    with db.session() as session:
        for start in range(0, count, 10_000):
            session.execute(insert(Customer), rows[start : start + 10_000])


def tick(db: Database, now: datetime) -> tuple[int, int, float, float, int]:
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    with db.session() as session:
        created = create_due_runs(session, loop=LoopName.PUBLISH_TO_LEARN, now=now)
    created_s = time.perf_counter() - started
    event.remove(db.engine, "before_cursor_execute", count)
    started, sent = time.perf_counter(), 0
    while True:
        with db.session() as session:
            ids = lock_unsent(session, now=now, resend_after_s=7200, limit=SEND_BATCH)
            mark_sent(session, run_ids=ids, now=now)
        sent += len(ids)
        if len(ids) < SEND_BATCH:
            break
    drained_s = time.perf_counter() - started
    return created, sent, created_s, drained_s, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    admin_url = os.environ["TEST_DATABASE_URL"]
    # 23:00 UTC: every timezone's local clock has passed its 05:00-08:30 run time for some local date.
    now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    print(
        f"{'customers':>10} {'runs created':>13} {'create (s)':>11} {'outbox drain (s)':>17} "
        f"{'SQL statements':>15} {'repeat tick (s)':>16}"
    )
    for size in args.sizes:
        url = fresh_database(admin_url)
        db = Database.from_url(url)
        try:
            seed(db, size)
            created, sent, created_s, drained_s, statements = tick(db, now)
            started = time.perf_counter()
            tick(db, now)  # a second beat: creates nothing, sends nothing
            repeat_s = time.perf_counter() - started
            assert created == sent == _due_count(db), (created, sent)
            print(
                f"{size:>10} {created:>13} {created_s:>11.3f} {drained_s:>17.3f} {statements:>15} {repeat_s:>16.3f}"
            )
        finally:
            db.dispose()
            drop_database(admin_url, url)


def _due_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM runs WHERE loop = 'publish_to_learn'")).scalar_one()
        )


if __name__ == "__main__":
    main()
