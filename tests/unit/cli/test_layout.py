"""Tables that fit: whole columns by priority, flexible ones cut after a whole word, one line per row."""

from __future__ import annotations

from agent.cli.layout import Column, render, shorten


def test_shorten_cuts_after_a_whole_word():
    assert shorten("Skip the line now please", 14) == "Skip the line…"
    assert shorten("Skip the line: order ahead", 14) == "Skip the…"
    assert shorten("Skip the line", 40) == "Skip the line"
    assert shorten("Supercalifragilistic", 8) == "…"


def columns():
    return [
        Column("id", ["1", "22"], 0, right=True),
        Column("customer", ["Bright Smile Dental", "Acme"], 3, flexible=True),
        Column("reason", ["changes_brand_configuration", "breakout"], 1),
        Column("when", ["11-30 06:01", "11-30 06:02"], 2),
    ]


def test_columns_are_shown_whole_by_priority_and_flexible_ones_take_the_rest():
    lines = render(columns(), 65, 2)
    assert lines[0].split() == ["id", "customer", "reason", "when"]
    assert "Bright Smile Dental" in lines[2]
    narrow = render(columns(), 59, 2)
    assert narrow[2].startswith(" 1  Bright Smile…  changes_brand_configuration")
    assert all(len(line) <= 59 for line in narrow[:4])
    tiny = render(columns(), 30, 2)  # the long reason no longer fits; what comes after it still does
    assert tiny[0].split() == ["id", "customer", "when"]
    assert tiny[-1] == "(not shown at this width: reason; --format json shows every field)"


def test_no_width_shows_everything():
    lines = render(columns(), None, 2)
    assert len(lines) == 4
    assert "Bright Smile Dental" in lines[2]
    assert "11-30 06:02" in lines[3]
