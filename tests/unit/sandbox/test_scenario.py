"""Scenario validation names the file and the field path of every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.sandbox import DEMO_SCENARIO_PATH, ScenarioError, load_scenario, parse_scenario

PROJECT = "prj_00000001-0000-4000-8000-000000000000"
POST = {
    "platformPostId": "pp_00000001-0001-4000-8000-000000000000",
    "title": "t",
    "views": 1,
    "engagementRate": 0.1,
    "ageDays": 1,
}


def _scenario(**project_fields) -> dict:
    return {"projects": [{"id": PROJECT, "name": "Demo", **project_fields}]}


def _error(data, source="s.yaml") -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, source)
    return str(caught.value)


README = Path(__file__).resolve().parents[3] / "README.md"


def documented_demo_customers() -> list[tuple[int, str]]:
    """The (number, customer) rows of README's "The demo scenario" table."""
    section = README.read_text().split("### The demo scenario", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| ")]
    return [(int(cells[1]), cells[2].strip()) for cells in rows if cells[1].strip().isdigit()]


def test_demo_scenario_covers_the_documented_customers():
    scenario = load_scenario(DEMO_SCENARIO_PATH)
    names = [p.name for p in scenario.projects]
    # every project is in the README's table, in order (project k is row k), and the table has no other row
    assert documented_demo_customers() == list(enumerate(names, start=1))
    assert all(p.id.startswith(f"prj_{k:08d}-") for k, p in enumerate(scenario.projects, start=1))
    assert {p.stage for p in scenario.projects} == {"early", "growth", "mature"}
    assert all(p.requires_approval for p in scenario.projects)
    loop = next(p for p in scenario.projects if p.name == "Loop Laundry")
    assert [post.prior_clones for post in loop.posts if post.prior_clones] == [5]


def test_out_of_range_value_names_the_path():
    message = _error(_scenario(posts=[{**POST, "engagementRate": 1.5}]))
    assert message.startswith("s.yaml: projects[0].posts[0].engagementRate:")
    assert "less than or equal to 1" in message


def test_unknown_key_is_rejected():
    message = _error(_scenario(posts=[{**POST, "viewz": 3}]))
    assert "projects[0].posts[0].viewz" in message
    assert "Extra inputs" in message


def test_post_needs_exactly_one_publication_time():
    post = {k: v for k, v in POST.items() if k != "ageDays"}
    assert "projects[0].posts[0]: " in _error(_scenario(posts=[post]))
    both = {**POST, "publishedAt": "2026-01-01T00:00:00Z"}
    assert "exactly one of ageDays or publishedAt" in _error(_scenario(posts=[both]))


def test_id_shapes_are_checked():
    assert "projects[0].id" in _error({"projects": [{"id": "acme", "name": "x"}]})
    assert "platformPostId" in _error(_scenario(posts=[{**POST, "platformPostId": "pp_123"}]))


def test_duplicate_ids_and_dangling_references():
    message = _error(_scenario(posts=[POST, POST]))
    assert "projects[0].posts[1].platformPostId: id pp_00000001-0001" in message
    ad = {"adId": "a1", "adsContentId": "adc_00000001-9999-4000-8000-000000000000", "daily": {"spend": 1}}
    assert "projects[0].ads[0].adsContentId" in _error(_scenario(ads=[ad]))


def test_timezone_and_rate_limits():
    assert "projects[0].timezone" in _error(_scenario(timezone="Mars/Olympus"))
    assert "rateLimits" in _error({"rateLimits": {"tier": "custom"}})
    assert parse_scenario({"rateLimits": {"tier": False}}).rate_limits.tier == "disabled"


def test_api_keys_must_be_test_keys():
    assert "apiKeys" in _error({"apiKeys": ["lp_live_a_b"]})


def test_file_problems_name_the_file(tmp_path: Path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ScenarioError, match=r"missing\.yaml: cannot read"):
        load_scenario(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("projects: [\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML"):
        load_scenario(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n")
    with pytest.raises(ScenarioError, match=r"list\.yaml: the top level must be a mapping"):
        load_scenario(listed)


def test_an_override_without_an_ads_content_row_is_refused():
    data = {
        "projects": [
            {
                "id": "prj_00000001-0000-4000-8000-000000000000",
                "name": "Acme",
                "posts": [
                    {
                        "platformPostId": "pp_00000001-0001-4000-8000-000000000000",
                        "title": "t",
                        "views": 10,
                        "engagementRate": 0.1,
                        "ageDays": 1,
                        "override": "exclude",
                    }
                ],
            }
        ]
    }
    with pytest.raises(ScenarioError, match="override needs adsContentId"):
        parse_scenario(data)
