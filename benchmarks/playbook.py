"""The playbook's loop, the fleet benchmark's baseline: the agent workflow guide's daily loop as a script
would run it, one customer after another: read the top performers, clone the top post, poll the job every
3 seconds until it ends (every wait divided by K, like the fleet's). No limiter of its own: Layers' 429s and
their Retry-After are its only pacing, as in the guide.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import SecretStr

from agent.layers.client import LayersClient

POLL_S = 3.0  # the guide's "poll every 3 s"


@dataclass(frozen=True)
class PlaybookRun:
    customers: int
    clones: int
    wall_s: float


def run_playbook(base_url: str, api_key: str, projects: Sequence[str], *, k: float) -> PlaybookRun:
    """Serve each project in turn; returns how long the whole fleet took."""
    clones = 0
    started = time.monotonic()
    with LayersClient(base_url=base_url, api_key=SecretStr(api_key)) as client:
        for project in projects:
            top = client.top_performers(project, metric="engagement_rate", window="7d", limit=1).items
            if not top or not top[0].platform_post_id:
                continue
            job = client.clone_from_post(
                f"cnt_{uuid.uuid4()}",
                project_id=project,
                source_platform_post_id=top[0].platform_post_id,
                mode="fork",
                variations=2,
                idempotency_key=str(uuid.uuid4()),
            )
            clones += 1
            while True:
                time.sleep(POLL_S / k)
                poll = client.get_job(job.job_id)
                if poll.job is not None and poll.job.is_terminal:
                    break
    return PlaybookRun(len(projects), clones, time.monotonic() - started)
