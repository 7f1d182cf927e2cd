"""Basic auth and the page helpers of the web log, without a server."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr

from agent.domain.vocabulary import Action
from agent.web.app import jsonable, query
from agent.web.security import BasicAuth
from agent.web.views import flatten, outcome


def header(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.mark.parametrize(
    ("authorization", "allowed"),
    [
        (header("ops:pw"), True),
        (header("ops:pw2"), False),
        (header("ops:p"), False),
        (header("op:pw"), False),
        (header("ops"), False),
        ("Bearer " + base64.b64encode(b"ops:pw").decode(), False),
        ("Basic not-base64!", False),
        (None, False),
        ("", False),
    ],
)
def test_basic_auth_takes_exactly_the_configured_pair(authorization, allowed):
    assert BasicAuth(lambda *_: None, SecretStr("ops:pw")).allows(authorization) is allowed


def test_without_credentials_everything_is_allowed_and_the_repr_shows_no_secret():
    assert BasicAuth(lambda *_: None, None).allows(None)
    assert "pw" not in repr(BasicAuth(lambda *_: None, SecretStr("ops:pw")))


def test_page_data_becomes_json_values():
    data = {
        "at": datetime(2026, 11, 28, 18, 0, tzinfo=UTC),
        "day": date(2026, 11, 28),
        "action": Action.CLONE,
    }
    assert jsonable({"rows": [data], "ids": (1, 2)}) == {
        "rows": [{"at": "2026-11-28T18:00:00+00:00", "day": "2026-11-28", "action": "clone"}],
        "ids": [1, 2],
    }


def test_pagination_keeps_the_filters():
    assert (
        query({"reason": "breakout", "before": "90", "loop": ""}, before=40) == "?reason=breakout&before=40"
    )
    assert query({}, before=None) == "?"


def test_evidence_flattens_into_dotted_rows():
    evidence = {"thresholds": {"min_views": 50}, "top": [{"id": "p1"}, {"id": "p2"}], "tags": ["a"]}
    assert flatten(evidence) == [
        ("thresholds.min_views", 50),
        ("top[0].id", "p1"),
        ("top[1].id", "p2"),
        ("tags", ["a"]),
    ]


def test_an_outcome_names_what_the_decision_started():
    assert (
        outcome({"clone_status": "completed", "clone_review": "pending"}) == "clone completed, review pending"
    )
    assert outcome({"commission_status": "failed"}) == "commission failed"
    assert outcome({"approval_status": "executed"}) == "proposal executed"
    assert outcome({}) is None
