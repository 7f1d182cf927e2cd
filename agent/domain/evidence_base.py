"""The base of every evidence type, on its own so that evidence modules can grow side by side: the core
decisions' evidence (`agent.domain.evidence`) and the publish/learn cycle's (`agent.domain.learn_evidence`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeAlias

from agent.domain.codec import dump, load_fields

Json: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class Evidence:
    """Base of every evidence type: a frozen dataclass that round-trips through JSON."""

    def to_json(self) -> Json:
        data: Json = dump(self)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(**load_fields(cls, data))
