"""What a decision becomes once the store has reserved its work, or found no slot left for it."""

from __future__ import annotations

from dataclasses import replace

from agent.domain.decisions import Decided
from agent.domain.evidence import Evidence, PoolCheck, PostVerdict, Triage
from agent.domain.vocabulary import Action, Reason


def with_work(decided: Decided, *, container_id: str, slot: int | None) -> Decided:
    """The decision with the container id (and clone slot) minted for it, so its evidence names them."""
    evidence: Evidence
    match decided.evidence:
        case PostVerdict() | Triage() as clone_evidence:
            evidence = replace(clone_evidence, container_id=container_id, clone_slot=slot)
        case PoolCheck() as pool:
            evidence = replace(pool, container_id=container_id)
        case other:
            raise TypeError(f"{type(other).__name__} evidence cannot name minted work")
    return replace(decided, evidence=evidence)


def cap_reached(decided: Decided) -> Decided:
    """Another run took the source's last slot between the plan's read and its write."""
    evidence = decided.evidence
    if isinstance(evidence, PostVerdict):
        evidence = replace(evidence, clone_number=None)
    return replace(
        decided, action=Action.SKIP, reason=Reason.CLONE_CAP_REACHED, evidence=evidence, effect=None
    )
