"""Jobs (contract §7): a timeline fixed at start, read lazily from the job clock.

A job's end time and final status are decided when it starts (from the scenario) and only a cancel
can move them, so every read is a pure function of the clock: progress is monotonic and terminal
states are sticky without any background thread.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from agent.sandbox import ids
from agent.sandbox.clock import iso
from agent.sandbox.scenario_schema import PublishedPost

STAGES = (("queued", 0.0), ("generating_visuals", 0.1), ("finalizing", 0.85))
CANCEL_REFUSED_STAGES = frozenset({"finalizing"})
CancelVerdict = Literal["accepted", "already_requested", "refused", "terminal"]


def _stage(fraction: float, *, terminal: bool) -> str:
    """Stage at a point of the timeline; a job that stops exactly on a boundary stays in the earlier stage."""
    current = STAGES[0][0]
    for name, start in STAGES:
        if start < fraction or (not terminal and start == fraction):
            current = name
    return current


@dataclass
class Job:
    id: str
    kind: str
    project_id: str
    container_ids: list[str]
    started_at: datetime
    start: datetime
    duration: timedelta
    final_status: str
    end: datetime
    error: dict[str, Any] | None = None
    publishes: list[PublishedPost] = field(default_factory=list)
    source_post_id: str | None = None
    cancel_requested: bool = False
    settled: bool = False

    @classmethod
    def create(
        cls,
        *,
        job_id: str,
        kind: str,
        project_id: str,
        container_ids: list[str],
        started_at: datetime,
        start: datetime,
        duration: timedelta,
        outcome: str,
        fail_at: float,
        error: dict[str, Any] | None,
        publishes: list[PublishedPost],
        source_post_id: str | None,
    ) -> Job:
        end = start + (duration if outcome == "completed" else duration * fail_at)
        return cls(
            id=job_id,
            kind=kind,
            project_id=project_id,
            container_ids=container_ids,
            started_at=started_at,
            start=start,
            duration=duration,
            final_status=outcome,
            end=end,
            error=error if outcome == "failed" else None,
            publishes=publishes if outcome == "completed" else [],
            source_post_id=source_post_id,
        )

    def fraction(self, at: datetime) -> float:
        return max(0.0, min(1.0, (at - self.start) / self.duration))

    def status(self, at: datetime) -> str:
        return self.final_status if at >= self.end else "running"

    def stage(self, at: datetime) -> str:
        if at >= self.end:
            return (
                "finalizing"
                if self.final_status == "completed"
                else _stage(self.fraction(self.end), terminal=True)
            )
        return _stage(self.fraction(at), terminal=False)

    def progress(self, at: datetime) -> float:
        if at >= self.end:
            return 1.0 if self.final_status == "completed" else round(self.fraction(self.end), 2)
        return round(min(self.fraction(at), 0.99), 2)

    def request_cancel(self, at: datetime) -> CancelVerdict:
        """Cooperative cancel: it lands at the next stage boundary unless the job ends first."""
        if at >= self.end:
            return "terminal"
        if self.cancel_requested:
            return "already_requested"
        if self.stage(at) in CANCEL_REFUSED_STAGES:
            return "refused"
        fraction = self.fraction(at)
        boundary = next(start for _, start in STAGES if start > fraction)
        lands = self.start + self.duration * boundary
        self.cancel_requested = True
        if lands < self.end:
            self.end, self.final_status, self.error, self.publishes = lands, "canceled", None, []
        return "accepted"

    def accepted(self) -> dict[str, Any]:
        """The 202 answer of every job-starting POST (§7.1), with both containerId and containerIds[]."""
        return self._body(status="running", stage="queued")

    def view(self, at: datetime, to_real: Callable[[datetime], datetime]) -> dict[str, Any]:
        """GET /v1/jobs/:jobId body at job-time `at`."""
        status = self.status(at)
        body = self._body(status=status, stage=self.stage(at), progress=self.progress(at))
        if status != "running":
            body["finishedAt"] = iso(to_real(self.end))
        if status == "completed":
            body["result"] = {
                "containerId": body["containerId"],
                "containerIds": body["containerIds"],
                "assets": [],
            }
        if status == "failed":
            body["error"] = self.error
        return body

    def _body(self, *, status: str, stage: str, progress: float | None = None) -> dict[str, Any]:
        job_id = ids.encode("job", self.id)
        return {
            "jobId": job_id,
            "kind": self.kind,
            "status": status,
            "stage": stage,
            **({"progress": progress} if progress is not None else {}),
            "projectId": ids.encode("project", self.project_id),
            "containerId": ids.encode("container", self.container_ids[0]),
            "containerIds": [ids.encode("container", c) for c in self.container_ids],
            "locationUrl": f"/v1/jobs/{job_id}",
            "startedAt": iso(self.started_at),
        }


def etag(body: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    return f'"{digest}"'


def etag_matches(if_none_match: str | None, current: str) -> bool:
    if not if_none_match:
        return False
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return "*" in candidates or current in candidates
