"""A proposal's body against the resource it changes, field by field: what an approver needs to see.

Pure: `agent pending`, `agent explain` and the web log's proposals page all render these same lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MISSING = object()


@dataclass(frozen=True)
class Change:
    field: str  # dotted: brand.valuePropositionsEmphasis
    current: Any  # MISSING when the resource does not have it (or could not be read)
    proposed: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "current": None if self.current is MISSING else self.current,
            "current_known": self.current is not MISSING,
            "proposed": self.proposed,
        }


def _leaves(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            found.update(_leaves(item, f"{path}."))
        else:
            found[path] = item
    return found


def _at(resource: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value


def changes(current: Mapping[str, Any] | None, body: Mapping[str, Any]) -> list[Change]:
    """Every field the body sets, with the resource's value now (`current` None: not read)."""
    return [Change(path, _at(current, path), value) for path, value in _leaves(body).items()]


def _show(value: Any) -> str:
    if value is MISSING:
        return "(not set)"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def heading(*, current_known: bool) -> str:
    return "change (- now, + proposed):" if current_known else "change (proposed):"


def lines(found: list[Change], *, current_known: bool) -> list[str]:
    """`field`, then `- now` and `+ proposed` (or `= unchanged`), indented for a block of text."""
    out: list[str] = []
    for change in found:
        out.append(f"  {change.field}")
        if change.current == change.proposed:
            out.append(f"    = {_show(change.proposed)} (already so)")
            continue
        if current_known:
            out.append(f"    - {_show(change.current)}")
        out.append(f"    + {_show(change.proposed)}")
    return out
