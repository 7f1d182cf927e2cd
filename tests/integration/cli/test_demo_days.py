"""`agent demo --days 7` (issue 15): the real command plays a week of the publish/learn cycle forward on the
sandbox's clock, and every path of the demo scenario's publishing customers shows in the demo's database."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from agent.store.models import Customer, Decision, ScheduledPost
from tests.integration.cli.agent_process import agent


def test_a_week_plays_out_on_the_sandbox_clock(tmp_path: Path):
    ran = agent("demo", "--days", "7", "--job-seconds", "0.25", cwd=tmp_path, timeout=900)
    assert ran.code == 0, ran.stderr
    assert "played 7 more days (verdicts after 3 days, settled 24 h)" in ran.stdout
    assert "clone lineage (clone → review → schedule → posts → verdict)" in ran.stdout
    engine = create_engine(f"sqlite:///{tmp_path / 'agent-demo.db'}")
    with Session(engine) as session:
        names = {c.id: c.name for c in session.scalars(select(Customer))}
        seen: dict[str, Counter[tuple[str, str]]] = {}
        for d in session.scalars(select(Decision)):
            seen.setdefault(names[d.customer_id], Counter())[(d.action, d.reason)] += 1
        posts: dict[str, list[ScheduledPost]] = {}
        for post in session.scalars(select(ScheduledPost)):
            posts.setdefault(names[post.customer_id], []).append(post)
    engine.dispose()

    maple = seen["Maple Street Bikes"]
    assert maple[("clone_outcome", "won")] >= 1
    assert maple[("reject", "content_rejected")] == maple[("schedule", "clone_approved")] == 5
    assert {(p.platform, p.status) for p in posts["Maple Street Bikes"]} == {("tiktok", "published")}
    assert len(posts["Maple Street Bikes"]) == 5  # one post per approved container: scheduled once each

    copper = seen["Copper Kettle Tea"]
    assert copper[("clone_outcome", "lost")] >= 2
    assert copper[("skip", "clones_underperform")] >= 1

    harbor = seen["Harbor Lights Candles"]
    assert harbor[("pending_schedule", "schedule_needs_consent")] >= 1
    assert harbor[("schedule", "clone_approved")] == 0
    assert "Harbor Lights Candles" not in posts

    granite = seen["Granite Peak Gym"]
    assert granite[("reject", "content_rejected")] == 10  # five clones, two containers each
    assert granite[("schedule", "clone_approved")] == 0
    assert "Granite Peak Gym" not in posts
    assert granite[("skip", "clone_cap_reached")] >= 1  # the rejected clones kept their slots

    assert seen["Velvet Paws Grooming"][("skip", "no_connected_account")] >= 1
    assert "Velvet Paws Grooming" not in posts

    lantern = seen["Lantern Street Records"]
    assert lantern[("observe", "post_failed")] >= 1
    assert lantern[("clone_outcome", "inconclusive")] >= 1
    assert {p.status for p in posts["Lantern Street Records"]} == {"failed"}
