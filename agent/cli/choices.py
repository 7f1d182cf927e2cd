"""Filter values checked against the vocabulary: a typo is an error naming the close matches, never an
empty table."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from agent.cli.exits import BadInput
from agent.domain.vocabulary import DECISION_LOOPS, Action, Reason, values


def one_of(option: str, value: str, allowed: Sequence[str]) -> str:
    if value in allowed:
        return value
    close = difflib.get_close_matches(value, allowed, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else f"expected one of {', '.join(allowed)}"
    raise BadInput(f"unknown {option} {value!r}: {hint}")


def loop(value: str) -> str:
    """A loop as people type it (`publish-to-learn`) or as it is stored, or `configuration`; the stored form."""
    labels = [name.replace("_", "-") for name in DECISION_LOOPS]
    return one_of("--loop", value.strip().replace("_", "-"), labels).replace("-", "_")


def action(value: str) -> str:
    return one_of("--action", value.strip(), values(Action))


def reason(value: str) -> str:
    return one_of("--reason", value.strip(), values(Reason))
