"""The `agent` command line: the ops view of the decision table, and the controls of the worker."""

from __future__ import annotations

from agent.cli.main import app

__all__ = ["app"]
