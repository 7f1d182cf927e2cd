"""With no REDIS_URL and a SQLite DATABASE_URL, the real worker and beat run on the embedded broker."""

import os
import signal
import subprocess
import sys
from datetime import time

from sqlalchemy import select

from agent.sandbox import Sandbox
from agent.store import customers, migrate
from agent.store.db import Database
from agent.store.models import Run
from tests.integration.e2e.conftest import wait_until


def test_worker_and_beat_need_no_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'agent.db'}"
    migrate.upgrade(url)
    db = Database.from_url(url)
    with db.session() as session:
        customers.add(
            session,
            layers_project_id="prj_00000003-0000-4000-8000-000000000000",
            name="Acme Coffee",
            timezone="UTC",
            run_at=time(0, 0),
        )
    sandbox = Sandbox.from_demo(job_duration_scale=0.25, rate_limits="disabled")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    processes, logs = [], []
    with sandbox.serve() as server:
        env.update(
            DATABASE_URL=url,
            LAYERS_BASE_URL=server.base_url,
            LAYERS_API_KEY="lp_test_emb_secret",
            DISPATCH_INTERVAL_S="1",
            POLLER_TICK_S="0.5",
            METRICS_PORT="0",
        )
        for args in (
            ["worker", "--concurrency", "2", "--no-metrics"],
            ["beat", "--schedule", str(tmp_path / "beat")],
        ):
            log = (tmp_path / f"{args[0]}.log").open("wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "agent", *args],
                    env=env,
                    cwd=tmp_path,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        try:

            def finished():
                with db.session() as session:
                    return session.scalars(select(Run).where(Run.status == "succeeded")).first()

            output = lambda: "".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))  # noqa: E731
            wait_until(finished, timeout=60, what=f"a run on the embedded broker\n{output()}")
            assert sandbox.witness.count_applied("clone") == 1
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            for log in logs:
                log.close()
            db.dispose()
