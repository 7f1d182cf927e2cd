"""A proposal's body against the resource as it is: one entry per field it sets."""

from __future__ import annotations

from agent.proposal_diff import MISSING, changes, lines


def test_each_field_of_the_body_against_the_resource():
    current = {"brand": {"valuePropositionsEmphasis": ["Fast checkups"], "tone": "warm"}, "name": "Dental"}
    body = {"brand": {"valuePropositionsEmphasis": ["Same-day appointments"]}, "name": "Dental"}
    found = changes(current, body)
    assert [(c.field, c.current, c.proposed) for c in found] == [
        ("brand.valuePropositionsEmphasis", ["Fast checkups"], ["Same-day appointments"]),
        ("name", "Dental", "Dental"),
    ]
    assert lines(found, current_known=True) == [
        "  brand.valuePropositionsEmphasis",
        '    - ["Fast checkups"]',
        '    + ["Same-day appointments"]',
        "  name",
        "    = Dental (already so)",
    ]


def test_a_field_the_resource_lacks_or_an_unread_resource():
    (change,) = changes({"brand": {}}, {"brand": {"valuePropositionsEmphasis": ["A"]}})
    assert change.current is MISSING
    assert lines([change], current_known=True)[1] == "    - (not set)"
    assert change.as_json() == {
        "field": "brand.valuePropositionsEmphasis",
        "current": None,
        "current_known": False,
        "proposed": ["A"],
    }
    assert lines(changes(None, {"a": 1}), current_known=False) == ["  a", "    + 1"]
