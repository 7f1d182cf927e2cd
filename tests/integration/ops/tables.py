"""Reading the Rich tables the ops commands print, the way a person scans them."""

from __future__ import annotations


def first_cells(output: str) -> list[str]:
    """The first cell of every body row of a Rich table (header and wrapped continuation lines skipped)."""
    cells = [line.split("│")[1].strip() for line in output.splitlines() if line.count("│") > 2]
    return [cell for cell in cells if cell]


def table_row(output: str, first_cell: str) -> str:
    """One row of a Rich table, with the continuation lines of its wrapped cells joined on."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        cells = line.split("│")
        if len(cells) > 2 and cells[1].strip() == first_cell:
            row = [line]
            for more in lines[i + 1 :]:
                more_cells = more.split("│")
                if len(more_cells) <= 2 or more_cells[1].strip():
                    break
                row.append(more)
            return " ".join(row)
    raise AssertionError(f"no table row starts with {first_cell!r} in:\n{output}")
