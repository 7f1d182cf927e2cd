"""Every JSON example in the shared Layers reference parses with the model of its endpoint.

The examples are extracted programmatically: fenced ```json blocks in CONTRACT.md (named by their
section and position, e.g. "CONTRACT.md §7.3 #2") and top-level JSON objects embedded in the text of
docs/*.txt (named by file and position). Each one must be listed below exactly once, so an example
added to or removed from the reference makes this test fail until it is mapped.
"""

from __future__ import annotations

import json
import re
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
    parse_response,
)

REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "layers-api"

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

_SECTION = re.compile(r"^#+\s+(\d+(?:\.\d+)?)\.?\s")


def contract_blocks(path: Path) -> dict[str, object]:
    """Fenced ```json blocks, named by the nearest numbered heading above them."""
    blocks: dict[str, object] = {}
    section, counts = "?", {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        heading = _SECTION.match(lines[i])
        if heading:
            section = heading.group(1)
        if lines[i].strip() == "```json":
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```"))
            counts[section] = counts.get(section, 0) + 1
            blocks[f"{path.name} §{section} #{counts[section]}"] = json.loads("\n".join(lines[i + 1 : end]))
            i = end
        i += 1
    return blocks


def embedded_objects(path: Path) -> dict[str, object]:
    """Top-level JSON objects inside prose and code samples: try to decode at every `{`."""
    text, decoder = path.read_text(encoding="utf-8"), json.JSONDecoder()
    found: dict[str, object] = {}
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        found[f"{path.name} #{len(found) + 1}"] = value
        position = text.find("{", end)
    return found


def all_examples() -> dict[str, object]:
    examples = contract_blocks(REFERENCE / "CONTRACT.md")
    for doc in sorted((REFERENCE / "docs").glob("*.txt")):
        examples.update(embedded_objects(doc))
    return examples


EXAMPLES = all_examples()


def test_the_reference_is_there_and_every_example_is_mapped_exactly_once():
    mapped = [*RESPONSES, *ERROR_RESPONSES, *NOT_RESPONSES, *NOT_CALLED]
    assert len(mapped) == len(set(mapped))
    assert len(EXAMPLES) > 30
    assert set(EXAMPLES) == set(mapped)


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
