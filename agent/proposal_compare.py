"""What a proposal would change, read from Layers: the resource it PATCHes (or PUTs), as it is now.

A proposal is shown even when Layers cannot be read (no API key, Layers down): its body is then listed
with a note saying why the current values are missing, so a read command or page never fails on Layers.
Used by `agent pending`, `agent explain` and the web log's proposals page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent.proposal_diff import Change, changes, lines

if TYPE_CHECKING:
    from agent.config import Settings

READS_CURRENT = frozenset({"PATCH", "PUT"})
Request = tuple[int, str, str, dict[str, Any] | None]  # (decision id, method, path, body)


@dataclass(frozen=True)
class Comparison:
    changes: list[Change]
    current_known: bool
    note: str | None = None

    @property
    def lines(self) -> list[str]:
        return lines(self.changes, current_known=self.current_known)


def compare(settings: Settings, requests: Iterable[Request]) -> dict[int, Comparison]:
    """For each (decision id, method, path, body): its body against the resource at `path` now."""
    from agent.layers.client import LayersClient
    from agent.layers.errors import LayersError
    from agent.rules.actions import UnsafeSuggestedAction

    wanted = list(requests)
    if not wanted:
        return {}
    if settings.layers_api_key is None:
        note = "LAYERS_API_KEY is not set, so the current values are not shown"
        return {i: Comparison(changes(None, body or {}), False, note) for i, _, _, body in wanted}
    # One quick try: a reader should not sit out the workers' full retry deadline.
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
