"""The job and container lifecycle: how a job starts, what it may not start over, and how it ends.

Starting a job creates its containers; settling a job that has ended (lazily, at the start of every
API request) finishes its containers and publishes the posts the scenario says it publishes. Every
state change of a job or a container happens here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict

from agent.sandbox import ids
from agent.sandbox.errors import ApiError, conflict
from agent.sandbox.jobs import Job
from agent.sandbox.records import ContainerRec, PostRec, ProjectRec, cover_url, watch_time
from agent.sandbox.scenario_schema import JobBehaviour, PublishedPost
from agent.sandbox.state import SandboxState


class _Timeline(TypedDict):
    duration: timedelta
    outcome: str
    fail_at: float
    error: dict[str, Any]
    publishes: list[PublishedPost]


def start_job(
    state: SandboxState,
    *,
    kind: str,
    project: ProjectRec,
    container_id: str | None,
    variations: int,
    behaviour: JobBehaviour | None,
    origin: str,
    format_name: str,
    hook: str | None,
    caption: str | None,
    brief: dict[str, Any] | None = None,
    source_post: PostRec | None = None,
) -> Job:
    """Start a job with `variations` containers; the first may carry the client's id, the rest are minted."""
    if container_id is not None and container_id in state.containers:
        raise conflict(
            "A container with this id already exists.", containerId=ids.encode("container", container_id)
        )
    if project.status == "archived":
        raise conflict(
            "Project is archived; new generation is stopped.", projectId=ids.encode("project", project.id)
        )
    _check_concurrency(state)
    container_ids = [container_id or ids.new_uuid()] + [ids.new_uuid() for _ in range(variations - 1)]
    now = state.clock()
    job = Job.create(
        job_id=ids.ulid(),
        kind=kind,
        project_id=project.id,
        container_ids=container_ids,
        started_at=now,
        start=state.job_clock.now(),
        source_post_id=source_post.id if source_post else None,
        **_timeline(state, behaviour or JobBehaviour()),
    )
    state.jobs[job.id] = job
    approval = "pending" if _needs_review(state, project) else "not_required"
    for cid in container_ids:
        state.containers[cid] = ContainerRec(
            id=cid,
            project_id=project.id,
            job_id=job.id,
            origin=origin,
            format=format_name,
            hook=hook,
            caption=caption,
            created_at=now,
            approval_status=approval,
            source_post_id=source_post.id if source_post else None,
            brief=brief,
        )
    return job


def _timeline(state: SandboxState, behaviour: JobBehaviour) -> _Timeline:
    """How this job will end: the behaviour's settings, else the scenario's `jobs` defaults."""
    defaults = state.job_settings.defaults
    seconds = (
        behaviour.duration_seconds or defaults.default_duration_seconds
    ) * state.job_settings.duration_scale
    return {
        "duration": timedelta(seconds=seconds),
        "outcome": behaviour.outcome or defaults.default_outcome,
        "fail_at": behaviour.fail_at or defaults.fail_at,
        "error": (behaviour.error or defaults.error).model_dump(),
        "publishes": list(behaviour.publishes),
    }


def running_jobs(state: SandboxState) -> list[Job]:
    at = state.job_clock.now()
    return [job for job in state.jobs.values() if job.status(at) == "running"]


def _check_concurrency(state: SandboxState) -> None:
    """429 on the start that would exceed the concurrent running-jobs cap (contract §4.3)."""
    cap = state.job_settings.concurrent_jobs
    if cap is None:
        return
    running = running_jobs(state)
    if len(running) >= cap:
        wait = min(job.end for job in running) - state.job_clock.now()
        retry_after = max(1, int(wait.total_seconds() + 0.999))
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"Too many running jobs ({len(running)}); wait for one to finish.",
            {"subcode": "CONCURRENT_JOBS_LIMIT", "limit": cap},
            {"Retry-After": str(retry_after)},
        )


def _needs_review(state: SandboxState, project: ProjectRec) -> bool:
    if project.requires_approval:
        return True
    decided = sum(
        1
        for c in state.containers.values()
        if c.project_id == project.id and c.approval_status in ("approved", "rejected")
    )
    return decided < project.first_n_posts_blocked


def settle(state: SandboxState) -> None:
    """Apply the effects of every job that has ended: container status, and published posts."""
    at = state.job_clock.now()
    for job in state.jobs.values():
        if job.settled or at < job.end:
            continue
        job.settled = True
        finished = state.job_clock.to_real(job.end)
        for cid in job.container_ids:
            container = state.containers[cid]
            container.final_status = job.final_status
            container.finished_at = finished
            if job.final_status == "completed":
                container.asset_id = ids.ulid()
                state.emit("content.generated", _generated(container))
            if job.final_status == "failed":
                container.last_error = job.error
        for index, spec in enumerate(job.publishes):
            _publish(state, job, index, spec, finished)
        state.emit(f"job.{job.final_status}", job.view(at, state.job_clock.to_real))  # what a poll says


def _generated(container: ContainerRec) -> dict[str, Any]:
    return {
        "id": ids.encode("container", container.id),
        "projectId": ids.encode("project", container.project_id),
        "assets": [],
    }


def _publish(state: SandboxState, job: Job, index: int, spec: PublishedPost, finished: datetime) -> None:
    cid = job.container_ids[index % len(job.container_ids)]
    post_id = ids.derived_uuid("published", job.id, str(index))
    state.posts[post_id] = PostRec(
        id=post_id,
        project_id=job.project_id,
        title=spec.title or state.containers[cid].hook or "Sandbox clone",
        source_type="content_container",
        source_id=cid,
        views=spec.views,
        engagement_rate=spec.engagement_rate,
        watch_time_ms=watch_time(spec.views, spec.watch_time_ms),
        platforms=list(spec.platforms),
        published_at=finished + timedelta(minutes=spec.delay_minutes),
        organic_score=spec.organic_score,
        override=None,
        thumbnail_url=cover_url(post_id),
    )


def container_status(state: SandboxState, container: ContainerRec) -> str:
    if container.final_status is not None:
        return container.final_status
    job = state.jobs[container.job_id]
    return "queued" if job.stage(state.job_clock.now()) == "queued" else "processing"
