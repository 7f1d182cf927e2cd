"""Every reason the agent can record has its plain-words explanation, for every evidence it can carry."""

from __future__ import annotations

import pytest

from agent.domain.evidence import NoEvidence
from agent.domain.vocabulary import Reason
from agent.explanations import WHY
from tests.unit.domain.test_evidence import SAMPLES


def test_every_reason_has_an_explanation():
    assert set(WHY) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason))
def test_every_explanation_reads_as_a_sentence_whatever_the_evidence(reason):
    for evidence in (*SAMPLES, NoEvidence()):
        text = WHY[reason](evidence)
        assert text
        assert text == text.strip()
        assert not text.endswith(".")
        assert "{" not in text
        assert "?" not in text
