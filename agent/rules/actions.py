"""The one rule for a server-suggested action (a recommendation's `suggestedAction`): which method and path
the agent will ever send. Triage, the approval screen and the client all ask this module, so a proposal
ops can approve is exactly a proposal the client can execute.

Whitelist, not blacklist: every path segment must be non-empty, made of RFC 3986 unreserved characters,
and not `.` or `..`. That rules out absolute and scheme-relative URLs, traversal (plain or
percent-encoded), backslashes, control characters, whitespace, queries, fragments, ports and userinfo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.domain.redaction import redact_text

API_PREFIX = "/v1/"
# What the client can send; HEAD and OPTIONS read nothing the agent uses and are refused.
SUGGESTED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
MAX_PATH_LENGTH = 2048
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_SHOWN_CHARS = 64  # a refused path is quoted this far in messages


class UnsafeSuggestedAction(ValueError):
    """A suggested method or path the agent refuses to send; `reason` says which rule it broke."""

    def __init__(self, method: object, path: object, reason: str) -> None:
        shown = redact_text(path[:_SHOWN_CHARS] if isinstance(path, str) else repr(path))
        self.method = redact_text(method if isinstance(method, str) else repr(method))
        self.path = shown
        self.reason = reason
        super().__init__(f"refusing {self.method} {shown!r}: {reason}")


@dataclass(frozen=True)
class SuggestedAction:
    """A method and path that passed `validate_suggested_action` (the method upper-cased)."""

    method: str
    path: str


def validate_suggested_action(method: object, path: object) -> SuggestedAction:
    """The action, normalised, if the agent may ever send it; UnsafeSuggestedAction otherwise."""
    if not isinstance(method, str) or method.upper() not in SUGGESTED_METHODS:
        raise UnsafeSuggestedAction(
            method, path, f"method must be one of {', '.join(sorted(SUGGESTED_METHODS))}"
        )
    if not isinstance(path, str):
        raise UnsafeSuggestedAction(method, path, "path is not a string")
    if len(path) > MAX_PATH_LENGTH:
        raise UnsafeSuggestedAction(method, path, "path is too long")
    if not path.startswith(API_PREFIX):
        raise UnsafeSuggestedAction(method, path, f"path must start with {API_PREFIX}")
    for segment in path.split("/")[1:]:
        if not segment:
            raise UnsafeSuggestedAction(method, path, "path has an empty segment")
        if not _SEGMENT.fullmatch(segment):
            raise UnsafeSuggestedAction(
                method, path, f"segment {segment[:_SHOWN_CHARS]!r} has characters outside [A-Za-z0-9._~-]"
            )
        if set(segment) == {"."}:
            raise UnsafeSuggestedAction(method, path, "path has a dot segment")
    return SuggestedAction(method=method.upper(), path=path)
