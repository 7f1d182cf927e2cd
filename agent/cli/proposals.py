"""What a proposal would change, read from Layers: the resource it PATCHes (or PUTs), as it is now.

A proposal is shown even when Layers cannot be read (no API key, Layers down): its body is then listed
with a note saying why the current values are missing, so a read command never fails on Layers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agent.cli import context
from agent.cli.diff import Change, changes

READS_CURRENT = frozenset({"PATCH", "PUT"})


@dataclass(frozen=True)
class Comparison:
    changes: list[Change]
    current_known: bool
    note: str | None = None


def compare(requests: Iterable[tuple[int, str, str, dict[str, Any] | None]]) -> dict[int, Comparison]:
    """For each (decision id, method, path, body): its body against the resource at `path` now."""
    from agent.layers.client import LayersClient
    from agent.layers.errors import LayersError
    from agent.rules.actions import UnsafeSuggestedAction

    wanted = list(requests)
    settings = context.settings()
    if settings.layers_api_key is None:
        note = "LAYERS_API_KEY is not set, so the current values are not shown"
        return {i: Comparison(changes(None, body or {}), False, note) for i, _, _, body in wanted}
    # One quick try: a read command should not sit out the workers' full retry deadline.
    quick = settings.model_copy(update={"http_max_attempts": 2, "http_deadline_s": 10.0})
    found: dict[int, Comparison] = {}
    with LayersClient.from_settings(quick) as client:
        for decision_id, method, path, body in wanted:
            if method.upper() not in READS_CURRENT:
                found[decision_id] = Comparison(changes(None, body or {}), False, None)
                continue
            try:
                current = client.call_relative("GET", path, idempotency_key=None)
            except (LayersError, UnsafeSuggestedAction) as exc:
                note = f"could not read {path} from Layers ({exc}), so the current values are not shown"
                found[decision_id] = Comparison(changes(None, body or {}), False, note)
                continue
            resource = current if isinstance(current, dict) else None
            found[decision_id] = Comparison(changes(resource, body or {}), resource is not None)
    return found
