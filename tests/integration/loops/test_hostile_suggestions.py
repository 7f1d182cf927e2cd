"""Recommendations are data from outside: a hostile suggestedAction is refused and recorded."""

import pytest
import yaml

from agent.sandbox import DEMO_SCENARIO_PATH, Sandbox, parse_scenario
from tests.integration.loops.test_optimization import DENTAL, PROJECT_8, decisions_of
from tests.support.running import run_today

HOSTILE = {
    "absolute_url": "https://evil.example/v1/projects/x",
    "dot_dot": "/v1/projects/../../admin/keys",
    "not_v1": "/internal/keys/rotate",
    "encoded_dot_dot": "/v1/projects/%2e%2e/admin",
}


@pytest.fixture
def sandbox(clock):
    """The demo scenario plus one recommendation per hostile suggestedAction."""
    data = yaml.safe_load(DEMO_SCENARIO_PATH.read_text())
    dental = next(p for p in data["projects"] if p["id"] == PROJECT_8)
    for index, (name, endpoint) in enumerate(HOSTILE.items(), start=20):
        dental["recommendations"].append(
            {
                "recommendationId": f"rec_00000008-00{index}-4000-8000-000000000000",
                "kind": "refresh_fatigued",
                "confidence": 0.95,
                "subject": {"type": "ads_content", "id": f"adc_hostile_{name}", "label": name},
                "rationale": "hostile",
                "suggestedAction": {
                    "endpoint": endpoint,
                    "method": "POST",
                    "body": {"sourcePlatformPostId": "pp_x"},
                },
            }
        )
    sb = Sandbox(parse_scenario(data, "demo+hostile"), clock=clock, rate_limits="disabled")
    with sb.serve() as server:
        yield sb, server.base_url


def test_hostile_suggested_actions_are_refused_and_recorded(services, sandbox):
    run_today(services, DENTAL, "optimization")
    refused = {d.subject_id: d for d in decisions_of(services, DENTAL) if d.action == "refuse"}
    for name, endpoint in HOSTILE.items():
        decision = refused[f"adc_hostile_{name}"]
        assert decision.reason == "unsafe_suggested_action"
        assert decision.evidence["suggested_endpoint"] == endpoint
    assert sandbox[0].witness.count_applied("clone", source_post_id="pp_x") == 0
