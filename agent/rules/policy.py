"""Per-customer policy, and restraint: what a decision that would change something at Layers becomes in
shadow mode or under the kill switch. Every loop asks this module, so restraint is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from agent.domain.decisions import CloneRequest, CommissionRequest, Decided
from agent.domain.evidence import PoolCheck, PostVerdict, Triage
from agent.domain.vocabulary import SHADOW_OF, Action, CustomerMode, LoopName, Reason, Restraint
from agent.rules.thresholds import Thresholds, rule_version


@dataclass(frozen=True)
class Policy:
    """The thresholds in force for one customer and loop, and whether the agent may act."""

    loop: LoopName
    thresholds: Thresholds
    rule_version: str
    restraint: Restraint | None = None
    auto_approve_kinds: frozenset[str] = frozenset()

    @property
    def acting(self) -> bool:
        return self.restraint is None


def restraint_for(*, kill_switch: bool, mode: CustomerMode) -> Restraint | None:
    """The kill switch holds back every customer; shadow mode one customer."""
    if kill_switch:
        return Restraint.KILL_SWITCH
    if mode is CustomerMode.SHADOW:
        return Restraint.SHADOW_MODE
    return None


def policy_for(
    *,
    loop: LoopName,
    defaults: Thresholds,
    overrides: Mapping[str, object],
    mode: CustomerMode,
    kill_switch: bool,
    auto_approve_kinds: frozenset[str] = frozenset(),
) -> Policy:
    thresholds = defaults.with_overrides(overrides)
    return Policy(
        loop=loop,
        thresholds=thresholds,
        rule_version=rule_version(thresholds, loop),
        restraint=restraint_for(kill_switch=kill_switch, mode=mode),
        auto_approve_kinds=auto_approve_kinds,
    )


def restrain(decided: Decided, restraint: Restraint | None) -> Decided:
    """Shadow mode records what the agent would have done; the kill switch records that it held back.

    Only decisions that would create work at Layers (a clone, a commission) are restrained here; a
    proposal is held at execution time instead, so that consent can still be given meanwhile.
    """
    if restraint is None or not isinstance(decided.effect, CloneRequest | CommissionRequest):
        return decided
    match decided.evidence:
        case PostVerdict() | PoolCheck() | Triage() as evidence:
            marked = replace(evidence, restraint=restraint)
        case other:
            raise TypeError(f"{type(other).__name__} evidence cannot carry a restraint")
    if restraint is Restraint.SHADOW_MODE:
        action, reason = SHADOW_OF[decided.action], decided.reason
    else:
        action, reason = Action.SKIP, Reason.KILL_SWITCH
    return replace(decided, action=action, reason=reason, evidence=marked, effect=None)
