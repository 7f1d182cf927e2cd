"""Everything that has ended by now, applied before a request is handled (or a webhook or a snapshot is
taken): jobs first (their containers, the posts they publish), then the publish/learn lifecycle (reviews due,
scheduled posts that ended), which reads the containers the jobs finished."""

from __future__ import annotations

from agent.sandbox import lifecycle, publishing
from agent.sandbox.state import SandboxState


def settle(state: SandboxState) -> None:
    lifecycle.settle(state)
    publishing.settle(state)
