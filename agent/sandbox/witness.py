"""The witness log: every mutation the sandbox received and what it did with it.

Tests read it to prove the client never created anything twice, whatever faults were injected.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from agent.sandbox.ids import comparison_key


class Outcome(StrEnum):
    APPLIED = "APPLIED"  # state changed
    REPLAYED = "REPLAYED"  # an earlier answer was returned; nothing changed
    REJECTED = "REJECTED"  # nothing changed: error, injected fault, or a no-op


@dataclass(frozen=True)
class WitnessEntry:
    seq: int
    at: datetime
    request_id: str
    method: str
    path: str
    kind: str | None
    outcome: Outcome
    status: int
    idempotency_key: str | None = None
    api_key_id: str | None = None
    project_id: str | None = None
    container_id: str | None = None
    container_ids: tuple[str, ...] = ()
    source_post_id: str | None = None
    job_id: str | None = None
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "requestId": self.request_id,
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "outcome": self.outcome.value,
            "applied": self.outcome is Outcome.APPLIED,
            "status": self.status,
            "idempotencyKey": self.idempotency_key,
            "apiKeyId": self.api_key_id,
            "projectId": self.project_id,
            "containerId": self.container_id,
            "containerIds": list(self.container_ids),
            "sourcePostId": self.source_post_id,
            "jobId": self.job_id,
            "fault": self.fault,
        }


@dataclass
class _Filters:
    kind: str | None = None
    outcome: Outcome | None = None
    container_id: str | None = None
    source_post_id: str | None = None
    project_id: str | None = None
    idempotency_key: str | None = None

    def match(self, entry: WitnessEntry) -> bool:
        def same(wanted: str | None, actual: str | None) -> bool:
            return wanted is None or (actual is not None and comparison_key(wanted) == comparison_key(actual))

        return (
            (self.kind is None or entry.kind == self.kind)
            and (self.outcome is None or entry.outcome is self.outcome)
            and (
                self.container_id is None
                or same(self.container_id, entry.container_id)
                or any(same(self.container_id, c) for c in entry.container_ids)
            )
            and same(self.source_post_id, entry.source_post_id)
            and same(self.project_id, entry.project_id)
            and (self.idempotency_key is None or entry.idempotency_key == self.idempotency_key)
        )


class WitnessLog:
    """Append-only, thread-safe record of mutations."""

    def __init__(self) -> None:
        self._entries: list[WitnessEntry] = []
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> WitnessEntry:
        with self._lock:
            entry = WitnessEntry(seq=len(self._entries) + 1, **fields)
            self._entries.append(entry)
            return entry

    def entries(
        self,
        *,
        kind: str | None = None,
        outcome: Outcome | str | None = None,
        container_id: str | None = None,
        source_post_id: str | None = None,
        project_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> list[WitnessEntry]:
        """Entries matching every given filter; ids match with or without their prefix."""
        filters = _Filters(
            kind=kind,
            outcome=Outcome(outcome) if outcome is not None else None,
            container_id=container_id,
            source_post_id=source_post_id,
            project_id=project_id,
            idempotency_key=idempotency_key,
        )
        with self._lock:
            return [entry for entry in self._entries if filters.match(entry)]

    def applied(self, **filters: Any) -> list[WitnessEntry]:
        return self.entries(outcome=Outcome.APPLIED, **filters)

    def applied_clones(
        self, *, container_id: str | None = None, source_post_id: str | None = None
    ) -> list[WitnessEntry]:
        return self.applied(kind="clone", container_id=container_id, source_post_id=source_post_id)

    def count_applied(self, kind: str | None = None, **filters: Any) -> int:
        return len(self.applied(kind=kind, **filters))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
