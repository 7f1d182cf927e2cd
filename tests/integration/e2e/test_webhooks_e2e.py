"""Webhooks end to end: the real sandbox over HTTP delivers to the real receiver (`agent webhooks`, registered
with `agent webhooks register`), real workers and beat on Redis process the inbox on PostgreSQL, and the
sandbox drops, duplicates and reorders deliveries. Every job still ends exactly once, with the poller as the
backstop for the dropped ones, and the customer's reviews reach the clones whatever order they arrive in.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, time

import httpx
from sqlalchemy import select, update

from agent.domain.vocabulary import InboxOutcome
from agent.rules.schedule import local_date
from agent.sandbox import FaultConfig
from agent.store import customers, runs
from agent.store.models import Clone, Commission, Customer, Decision, Job, Run, WebhookEvent
from tests.support.webhooks import free_port, wait_for

# (customer, loop): clones that complete (Acme, Bright Smile) and one that fails (Stormy), commissions (Pixel
# Pets, Tiny Steps); a publish-to-learn run hands off to the customer's optimization run, which may add more.
WORK = (
    ("Acme Coffee", "publish_to_learn"),
    ("Stormy Kites", "publish_to_learn"),
    ("Bright Smile Dental", "optimization"),
    ("Pixel Pets", "optimization"),
    ("Tiny Steps Yoga", "optimization"),
)
# Job events are the first deliveries (the reviews come once every job has ended). With this seed, whatever
# their number from 5 to 10, they draw a drop among the first four, a reorder and a duplicate among the
# first five, and at most two drops (a hub's draws depend only on the seed and the delivery's rank).
FAULTS = FaultConfig(
    seed=17,
    rate_webhook_drop=0.25,
    rate_webhook_duplicate=0.4,
    rate_webhook_reorder=0.25,
    webhook_delay_s=1.0,
)
FIRST_POLL_S = "4"  # jobs take 2 s here: a webhook usually ends a job before its first poll
SECRET_LINE = re.compile(r"LAYERS_WEBHOOK_SECRETS=(whsec_\S+)")


def noon_zone() -> str:
    """A fixed-offset zone where it is about noon now, so a 23:59 run time is hours away."""
    offset = 12 - datetime.now(UTC).hour  # local = UTC + offset; Etc/GMT-3 is UTC+3
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def queue_runs(stack) -> list[int]:
    """Today's run for each customer of WORK, and nothing else: every other customer is paused, and theirs
    run at 23:59 where it is noon, so beat's dispatcher (which runs at start) adds no run of its own."""
    names = {name for name, _ in WORK}
    with stack.db.session() as session:
        session.execute(update(Customer).where(Customer.name.not_in(names)).values(enabled=False))
        session.execute(
            update(Customer).where(Customer.name.in_(names)).values(timezone=noon_zone(), run_at=time(23, 59))
        )
    with stack.db.session() as session:
        ids = []
        for name, loop in WORK:
            customer = customers.find(session, ref=name)
            today = local_date(datetime.now(UTC), customer.timezone)
            ids.append(runs.ensure(session, customer_id=customer.id, loop=loop, local_date=today).id)
    return ids


def register(stack, url: str) -> str:
    process = stack.start("webhooks", "register", "--url", url, name="register")
    assert process.wait(timeout=60) == 0, stack.logs()
    (secret,) = SECRET_LINE.findall(stack.full_logs())
    return secret


def agent_work(stack) -> list[Clone | Commission]:
    with stack.db.session() as session:
        clones = list(session.scalars(select(Clone).where(Clone.origin != "prior")))
        return [*clones, *session.scalars(select(Commission))]


def sandbox_jobs(stack) -> dict[str, str]:
    return {job["jobId"]: job["status"] for job in stack.sandbox.snapshot()["jobs"]}


def review(stack, container_id: str, verdict: str, **body: str) -> None:
    response = httpx.post(
        f"{stack.base_url}/v1/content/{container_id}/{verdict}",
        json=body,
        headers={"Authorization": "Bearer lp_test_e2e_reviewer"},
    )
    assert response.status_code == 200, response.text


def all_ended(stack) -> bool:
    """Every run (hand-offs included) ended, and every job it started ended at the sandbox."""
    with stack.db.session() as session:
        statuses = set(session.scalars(select(Run.status)))
    work, at_layers = agent_work(stack), sandbox_jobs(stack)
    submitted = all(w.job_id in at_layers for w in work) and len(at_layers) == len(work) >= len(WORK)
    return statuses <= {"succeeded", "failed"} and submitted and "running" not in at_layers.values()


def unsettled(stack) -> list[str]:
    """What is still going on: work not ended, events not processed, deliveries in flight, reviews unseen."""
    work = agent_work(stack)
    left = [
        f"{w.container_id} {w.status}" for w in work if w.status not in ("completed", "failed", "canceled")
    ]
    with stack.db.session() as session:
        unprocessed = session.scalars(select(WebhookEvent).where(WebhookEvent.processed_at.is_(None))).all()
    left += [f"event {e.event_id} {e.type} attempts {e.attempts} ({e.error})" for e in unprocessed]
    deliveries = stack.sandbox.webhook_deliveries()
    left += [
        f"delivery {d['eventType']} {d['status']}"
        for d in deliveries
        if d["status"] in ("pending", "delivering")
    ]
    reviewed = {c.approval_status for c in work if isinstance(c, Clone) and c.status == "completed"}
    if reviewed != {"approved", "rejected"}:
        left.append(f"reviews {reviewed}")
    return left


def settle(stack, what: str, done) -> None:
    """Wait for `done`; a timeout tells what is still going on, at Layers and here."""
    try:
        wait_for(done, what=what, timeout=90)
    except AssertionError as exc:
        with stack.db.session() as session:
            queued = [(r.customer_id, r.loop, r.status, r.trigger) for r in session.scalars(select(Run))]
        story = [
            line[:600]
            for line in stack.full_logs().splitlines()
            if any(
                word in line for word in ("webhook_event", "job_finished", "Traceback", '"error"', "warning")
            )
        ]
        raise AssertionError(f"{exc}: {unsettled(stack)}\nruns {queued}\n" + "\n".join(story)) from None


def job_endings(stack) -> list[dict]:
    """Every `job_finished` line the workers logged: the poller's and the webhook handler's."""
    lines = []
    for line in stack.full_logs().splitlines():
        if '"job_finished"' in line:
            record = json.loads(line[line.index("{") :])
            if record.get("event") == "job_finished":
                lines.append(record)
    return lines


def test_dropped_duplicated_and_reordered_deliveries_still_end_every_job_exactly_once(stack):
    port = free_port()
    secret = register(stack, f"http://127.0.0.1:{port}/webhooks/layers")
    fast = {"WEBHOOK_SWEEP_INTERVAL_S": "1", "LAYERS_WEBHOOK_SECRETS": secret}
    stack.start("webhooks", "--port", str(port), name="webhooks", **fast)
    wait_for(lambda: stack.sandbox.webhooks.listening(), what="the endpoint at the sandbox")
    stack.sandbox.set_faults(FAULTS)
    run_ids = queue_runs(stack)
    for _ in range(2):
        stack.worker(
            JOB_POLL_INITIAL_S=FIRST_POLL_S,
            JOB_POLL_MAX_S=FIRST_POLL_S,
            JOB_BACKSTOP_POLL_S=FIRST_POLL_S,  # while webhooks arrive, polls are a backstop this far apart
            **fast,
        )
    stack.beat(**fast)
    for run_id in run_ids:
        stack.send_run(run_id)

    # The customer reviews the clones once Layers has them: one approved, one rejected.
    settle(stack, "every run, and every job at the sandbox, to end", lambda: all_ended(stack))
    at_layers = sandbox_jobs(stack)
    completed = {
        c.source_post_id: c.container_id
        for c in agent_work(stack)
        if isinstance(c, Clone) and at_layers.get(c.job_id or "") == "completed"
    }
    approved, rejected = sorted(completed.items())  # Acme's breakout (pp_00000003-…), Bright Smile's (…08-…)
    review(stack, approved[1], "approve")
    review(stack, rejected[1], "reject", reason="Off-brand hook.")
    settle(stack, "every job, event and delivery to settle", lambda: not unsettled(stack))

    deliveries = stack.sandbox.webhook_deliveries()
    faults = Counter(d["sandboxFault"] for d in deliveries)
    assert min(faults["dropped"], faults["duplicated"], faults["reordered"]) >= 1, faults

    # Layers: each piece of work created once. The agent: each ended as Layers ended it.
    witness = stack.sandbox.witness
    work = agent_work(stack)
    assert witness.count_applied("clone") == sum(isinstance(w, Clone) for w in work) == 3
    assert witness.count_applied("generate") == sum(isinstance(w, Commission) for w in work) >= 2
    for item in work:
        applied = witness.applied_clones(container_id=item.container_id) if isinstance(item, Clone) else None
        assert applied is None or len(applied) == 1
        assert item.status == sandbox_jobs(stack)[item.job_id], item.job_id

    # Each job ended exactly once, by a webhook or by the poller; the poller ended those whose event was lost.
    endings = job_endings(stack)
    assert Counter(e["job_id"] for e in endings) == Counter(w.job_id for w in work)
    by_webhook = {e["job_id"] for e in endings if e.get("by") == "webhook"}
    job_deliveries = [d for d in deliveries if d["eventType"].startswith("job.")]
    lost = [
        stack.sandbox.webhooks.deliveries[d["id"]] for d in job_deliveries if d["sandboxFault"] == "dropped"
    ]
    lost_jobs = {json.loads(d.body)["data"]["jobId"] for d in lost}
    assert lost_jobs
    assert not lost_jobs & by_webhook
    assert by_webhook  # with webhooks flowing, they end jobs before the poller's first poll

    # The inbox: one row per event id, however often it was delivered; every job event handled or already done.
    with stack.db.session() as session:
        events = list(session.scalars(select(WebhookEvent)))
        jobs = {job.job_id: job for job in session.scalars(select(Job))}
    delivered = {d["eventId"] for d in deliveries if d["status"] == "delivered"}
    assert sorted(e.event_id for e in events) == sorted(delivered)
    assert any(d["sandboxSends"] >= 2 for d in deliveries if d["status"] == "delivered")
    outcomes = {e.type: set() for e in events}
    for e in events:
        outcomes[e.type].add(e.outcome)
    assert outcomes.pop("content.approved") == {InboxOutcome.HANDLED}
    assert outcomes.pop("content.rejected") == {InboxOutcome.HANDLED}
    assert set().union(*outcomes.values()) <= {InboxOutcome.HANDLED, InboxOutcome.ALREADY_DONE}
    assert all(job.status in ("completed", "failed") for job in jobs.values())

    # The reviews reached the clones and their decisions, once each.
    by_container = {c.container_id: c for c in work if isinstance(c, Clone)}
    assert by_container[approved[1]].approval_status == "approved"
    assert by_container[rejected[1]].approval_status == "rejected"
    with stack.db.session() as session:
        reviews = session.scalars(
            select(Decision).where(Decision.reason.in_(("content_approved", "content_rejected")))
        ).all()
    assert sorted((d.action, d.reason, d.parent_id) for d in reviews) == sorted(
        [
            ("approve", "content_approved", by_container[approved[1]].decision_id),
            ("reject", "content_rejected", by_container[rejected[1]].decision_id),
        ]
    )
    assert next(d for d in reviews if d.action == "reject").evidence["reason"] == "Off-brand hook."
    for _, log, _ in stack.processes:
        if not log.name.startswith("register"):  # `register` printed it, once, as it should
            assert secret not in log.read_text(errors="replace"), log.name
