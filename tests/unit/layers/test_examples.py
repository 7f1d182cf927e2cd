"""Every JSON example of the Layers reference parses with the model of its endpoint.

The examples live in `tests/fixtures/layers/examples/`: one file per example, a verbatim snapshot of
the fenced ```json blocks of the shared CONTRACT.md (named by section and position, e.g.
"CONTRACT.md §7.3 #2") and of the top-level JSON objects in the text of its docs/*.txt (named by file
and position). `index.json` maps each name to its file. Every example must be listed below exactly
once, so an example added to or removed from the snapshot makes this test fail until it is mapped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.layers import errors
from agent.layers.errors import error_from_response
from agent.layers.models import (
    APPROVAL_STATUSES,
    CONTAINER_STATUSES,
    JOB_TERMINAL,
    OVERRIDES,
    RECOMMENDATION_KINDS,
    AdsContentPage,
    AdsMetricsResponse,
    Container,
    Job,
    JobCancelResult,
    JobEnvelope,
    LayersModel,
    MetricsResponse,
    Project,
    ProjectPage,
    RecommendationPage,
    TopPerformersResponse,
    Whoami,
)
from agent.layers.transport import parse_response

EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "fixtures" / "layers" / "examples"
INDEX = "index.json"

RESPONSES: dict[str, type[LayersModel]] = {
    "CONTRACT.md §1.5 #1": Whoami,  # Gen-B
    "CONTRACT.md §1.5 #2": Whoami,  # Gen-A, with killSwitch flags
    "CONTRACT.md §7.1 #1": JobEnvelope,
    "CONTRACT.md §7.3 #1": Job,  # running
    "CONTRACT.md §7.3 #2": Job,  # completed
    "CONTRACT.md §7.4 #1": JobCancelResult,  # 202 accepted
    "CONTRACT.md §7.4 #2": JobCancelResult,  # 200 already terminal
    "CONTRACT.md §8.2 #1": ProjectPage,
    "CONTRACT.md §8.3 #1": Project,
    "CONTRACT.md §12.1 #2": JobEnvelope,  # generate content 202
    "CONTRACT.md §13 #1": JobEnvelope,  # clone-from-post 202
    "CONTRACT.md §14.1 #1": Container,
    "CONTRACT.md §16 #1": MetricsResponse,
    "CONTRACT.md §17 #1": TopPerformersResponse,
    "CONTRACT.md §19 #1": AdsMetricsResponse,  # INFERRED example
    "guide-publish-to-learn.txt #1": MetricsResponse,
    "guide-publish-to-learn.txt #2": TopPerformersResponse,
    "guide-publish-to-learn.txt #3": JobEnvelope,  # clone-from-post 202
    "reference-ads-content.txt #1": AdsContentPage,
    "reference-recommendations.txt #2": RecommendationPage,
}
ERROR_RESPONSES: dict[str, tuple[int, type[errors.LayersError]]] = {
    "CONTRACT.md §3.1 #1": (403, errors.Forbidden),  # APPROVAL_REQUIRED envelope
    "CONTRACT.md §7.4 #3": (409, errors.Conflict),  # JOB_CANCEL_UNAVAILABLE
}
NOT_RESPONSES: dict[str, str] = {
    "CONTRACT.md §12.1 #1": "request body of POST /v1/projects/:projectId/content",
    "CONTRACT.md §23.2 #1": "webhook delivery payload",
    "guide-agent-workflow.txt #1": "`{}`: a JavaScript default argument, not an example",
    "guide-getting-started.txt #1": "request body of POST /v1/projects",
    "guide-getting-started.txt #2": "request body of POST .../content/slideshow-remix",
    "guide-publish-to-learn.txt #4": "request body of POST /v1/projects/:projectId/content",
    "guide-publish-to-learn.txt #5": "request body of PATCH .../ads-content/:id",
    "reference-recommendations.txt #1": "query parameters of GET .../recommendations (Python dict)",
}
# Responses of endpoints this client does not call (so it has no model for them).
NOT_CALLED: dict[str, str] = {
    "CONTRACT.md §9.2 #1": "GET .../content-review-policy",
    "CONTRACT.md §9.3 #1": "GET .../approval-policy",
    "CONTRACT.md §9.5 #1": "POST /v1/content/:id/approve",
    "CONTRACT.md §9.5 #2": "POST /v1/content/:id/approve (promoted schedule)",
    "CONTRACT.md §9.6 #1": "POST /v1/content/:id/reject",
    "CONTRACT.md §11 #1": "GET .../social-accounts item",
    "CONTRACT.md §14.3 #1": "GET /v1/content/:id/progress",
    "CONTRACT.md §15.3 #1": "GET /v1/scheduled-posts/:id",
    "CONTRACT.md §22.1 #1": "webhook endpoint object",
    "CONTRACT.md §22.2 #1": "webhook delivery item",
    "CONTRACT.md §25 #1": "GET /v1/credits",
}


def all_examples() -> dict[str, object]:
    """Each example's decoded payload, by its name in the reference."""
    index: dict[str, str] = json.loads((EXAMPLES_DIR / INDEX).read_text(encoding="utf-8"))
    return {
        name: json.loads((EXAMPLES_DIR / file).read_text(encoding="utf-8")) for name, file in index.items()
    }


EXAMPLES = all_examples()


def test_the_reference_is_there_and_every_example_is_mapped_exactly_once():
    mapped = [*RESPONSES, *ERROR_RESPONSES, *NOT_RESPONSES, *NOT_CALLED]
    assert len(mapped) == len(set(mapped))
    assert len(EXAMPLES) > 30
    assert set(EXAMPLES) == set(mapped)


def test_every_example_file_is_in_the_index_once():
    index: dict[str, str] = json.loads((EXAMPLES_DIR / INDEX).read_text(encoding="utf-8"))
    files = sorted(path.name for path in EXAMPLES_DIR.glob("*.json") if path.name != INDEX)
    assert sorted(index.values()) == files


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_examples_parse_with_their_model(name):
    parsed = parse_response(RESPONSES[name], EXAMPLES[name], endpoint=name)
    assert isinstance(parsed, RESPONSES[name])


@pytest.mark.parametrize("name", sorted(ERROR_RESPONSES))
def test_error_examples_map_to_their_error_class(name):
    status, expected = ERROR_RESPONSES[name]
    exc = error_from_response(status, EXAMPLES[name])
    envelope = EXAMPLES[name]["error"]
    assert type(exc) is expected
    assert (exc.code, exc.request_id, exc.details) == (
        envelope["code"],
        envelope["requestId"],
        envelope["details"],
    )


def test_examples_read_as_the_docs_describe():
    job = parse_response(Job, EXAMPLES["CONTRACT.md §7.3 #2"], endpoint="x")
    assert job.is_terminal
    assert job.result == {
        "containerId": "cnt_7d18b9a1-8b2c-4f3e-a4d5-6e7f8a9b0c1d",
        "assets": [],
    }
    ads = parse_response(AdsContentPage, EXAMPLES["reference-ads-content.txt #1"], endpoint="x")
    assert [i.eligibility.is_eligible for i in ads.items if i.eligibility] == [True, True]
    assert ads.items[0].ad_performance is not None
    assert ads.items[0].ad_performance.roas == 4.1
    recs = parse_response(RecommendationPage, EXAMPLES["reference-recommendations.txt #2"], endpoint="x")
    actions = [r.suggested_action for r in recs.items if r.suggested_action]
    assert [(a.method, a.endpoint.startswith("/v1/")) for a in actions] == [("POST", True), ("PATCH", True)]
    whoami_gen_a = parse_response(Whoami, EXAMPLES["CONTRACT.md §1.5 #2"], endpoint="x")
    assert whoami_gen_a.kill_switch is False


def test_the_known_enum_values_cover_every_value_in_the_examples():
    container = parse_response(Container, EXAMPLES["CONTRACT.md §14.1 #1"], endpoint="x")
    assert container.status in CONTAINER_STATUSES
    assert container.approval_status in APPROVAL_STATUSES
    recs = parse_response(RecommendationPage, EXAMPLES["reference-recommendations.txt #2"], endpoint="x")
    assert {r.kind for r in recs.items} == RECOMMENDATION_KINDS
    ads = parse_response(AdsContentPage, EXAMPLES["reference-ads-content.txt #1"], endpoint="x")
    assert {i.override for i in ads.items} - {None} <= OVERRIDES
    completed = parse_response(Job, EXAMPLES["CONTRACT.md §7.3 #2"], endpoint="x")
    assert completed.status in JOB_TERMINAL
