"""A command with a bug in it, for the test that a programming error keeps its traceback."""

from __future__ import annotations


def boom() -> None:
    """Divide by zero, as a bug would."""
    print(1 / 0)
