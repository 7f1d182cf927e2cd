"""The sandbox's request counters: every API answer counted by endpoint class, method, route template, status
and project, so a test or a benchmark can check from the server's side what the agent asked for ("one
ads-content read per customer-day", "the 429 share"). The witness log keeps mutations one by one; these
keep every call, reads included, as counts. Admin calls and aborted connections are not counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallKey:
    endpoint_class: str
    method: str
    route: str  # the route template (`/v1/projects/{projectId}/ads-content`), or the path when unrouted
    status: int
    project_id: str | None  # prefixed, for routes under /v1/projects/{projectId}


class RequestCounters:
    """Thread-safe counts of API answers; `reset` empties them with the rest of the sandbox."""

    def __init__(self) -> None:
        self._counts: Counter[CallKey] = Counter()
        self._lock = threading.Lock()

    def count(self, key: CallKey) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[CallKey, int]:
        with self._lock:
            return dict(self._counts)

    def total(
        self,
        *,
        route: str | None = None,
        method: str | None = None,
        project_id: str | None = None,
        status: int | None = None,
        endpoint_class: str | None = None,
    ) -> int:
        """Answers matching every given field."""
        return sum(
            n
            for key, n in self.snapshot().items()
            if (route is None or key.route == route)
            and (method is None or key.method == method)
            and (project_id is None or key.project_id == project_id)
            and (status is None or key.status == status)
            and (endpoint_class is None or key.endpoint_class == endpoint_class)
        )

    def items(self) -> list[dict[str, Any]]:
        """GET /_sandbox/counters: one row per distinct key, camelCase, busiest first."""
        rows = sorted(self.snapshot().items(), key=lambda pair: (-pair[1], pair[0].route, pair[0].status))
        return [
            {
                "endpointClass": key.endpoint_class,
                "method": key.method,
                "route": key.route,
                "status": key.status,
                "projectId": key.project_id,
                "count": n,
            }
            for key, n in rows
        ]

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
