"""What the rules hand to the loops: decisions, each with the one effect it asks for, and what the loops
hand to the store to record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.domain.evidence import Evidence
from agent.domain.vocabulary import Action, CloneOrigin, LoopName, Reason, SubjectType


@dataclass(frozen=True)
class Subject:
    type: SubjectType
    id: str


@dataclass(frozen=True)
class CloneRequest:
    """Clone this post: a slot is reserved and the container id and key minted with the decision."""

    source_post_id: str
    origin: CloneOrigin


@dataclass(frozen=True)
class CommissionRequest:
    """Commission fresh creative seeded by this hook."""

    hook: str
    hook_source_post_id: str | None


@dataclass(frozen=True)
class ConsentRequest:
    """Propose a server-suggested action; it executes only once approved (by ops or by policy)."""

    kind: str
    method: str
    path: str
    body: dict[str, Any] | None
    auto_approved: bool


Effect = CloneRequest | CommissionRequest | ConsentRequest


@dataclass(frozen=True)
class Decided:
    """A decision the rules took, before it is recorded. `key` is unique within its run."""

    action: Action
    reason: Reason
    subject: Subject
    evidence: Evidence
    key: str
    effect: Effect | None = None


@dataclass(frozen=True)
class FollowUp:
    """A later fact about a recorded decision (approved, executed, rejected), recorded as its own decision."""

    parent_id: int
    action: Action
    reason: Reason
    evidence: Evidence
    actor: str
    dedupe_key: str


@dataclass(frozen=True)
class NewDecision:
    """A decision about to be recorded; `dedupe_key` makes recording it twice a no-op."""

    customer_id: int
    loop: LoopName
    action: Action
    reason: Reason
    subject: Subject
    evidence: Evidence
    run_id: int | None = None
    rule_version: str | None = None
    actor: str = "agent"
    parent_id: int | None = None
    dedupe_key: str | None = None
