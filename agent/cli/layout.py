"""Tables that fit the terminal without breaking a word: one line per row.

Each column is shown whole or not at all, most important first, except the flexible ones (names and
titles), which take the room that is left and are cut after a whole word, marked with "…". Whatever did
not fit is named under the table, and `--wide` shows every column in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

GAP = 2
FLEX_MIN = 8
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    header: str
    cells: Sequence[str]
    priority: int  # 0 is shown first; the first column is always shown
    flexible: bool = False
    right: bool = False

    @property
    def natural(self) -> int:
        return max([cell_len(self.header), *(cell_len(cell) for cell in self.cells)])


def shorten(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut after a whole word ("…" marks the cut; "…" alone if no word fits)."""
    if cell_len(text) <= width:
        return text
    kept = ""
    for word in text.split():
        candidate = f"{kept} {word}" if kept else word
        if cell_len(candidate) + 1 > width:
            break
        kept = candidate
    return kept + ELLIPSIS


def fit(columns: Sequence[Column], width: int) -> dict[int, int]:
    """Which columns are shown (by position) and how wide, within `width` cells."""
    shown: dict[int, int] = {}
    used = 0
    for position, column in sorted(enumerate(columns), key=lambda pair: pair[1].priority):
        gap = GAP if shown else 0
        if not shown or used + gap + column.natural <= width:
            shown[position] = column.natural
            used += gap + column.natural
        elif column.flexible and width - used - gap >= max(FLEX_MIN, cell_len(column.header)):
            shown[position] = width - used - gap
            used = width
    return shown


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if right else text + space


def render(
    columns: Sequence[Column], width: int | None, rows: int, *, hint: str = "--format json shows every field"
) -> list[str]:
    """The header, a rule and one line per row; `width` None shows every column in full (`--wide`)."""
    shown = {i: c.natural for i, c in enumerate(columns)} if width is None else fit(columns, width)
    visible = [(columns[i], w) for i, w in sorted(shown.items())]
    lines = ["  ".join(_pad(c.header, w, c.right) for c, w in visible).rstrip()]
    lines.append("  ".join("─" * w for _, w in visible))
    for row in range(rows):
        cells = [_pad(shorten(c.cells[row], w), w, c.right) for c, w in visible]
        lines.append("  ".join(cells).rstrip())
    hidden = [c.header for i, c in enumerate(columns) if i not in shown]
    if hidden:
        lines.append(f"(not shown at this width: {', '.join(hidden)}; {hint})")
    return lines
