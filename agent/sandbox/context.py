"""The request and response objects endpoint handlers see: parsed, authenticated, no sockets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.sandbox.errors import validation
from agent.sandbox.witness import Outcome


@dataclass
class ApiRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    request_id: str
    now: datetime
    api_key_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    outcome: Outcome = Outcome.REJECTED
    witness: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json_body(self) -> dict[str, Any]:
        """The JSON object body; an empty body is `{}`, anything else that is not an object is a 422."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise validation([("", "Request body is not valid JSON.")]) from None
        if not isinstance(data, dict):
            raise validation([("", "Request body must be a JSON object.")])
        return data

    def note(self, **fields: Any) -> None:
        """Facts for the witness log (container id, source post, ...)."""
        self.witness.update(fields)


@dataclass
class ApiResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
