"""Reading a scenario: YAML in, a validated `Scenario` out, or one `ScenarioError` naming the problem.

Every problem is reported as `ScenarioError("<file>: <field path>: <what is wrong>")`, so a command
line can print it as one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agent.sandbox.scenario_schema import Scenario

DEMO_SCENARIO_PATH = Path(__file__).parent / "scenarios" / "demo.yaml"


class ScenarioError(Exception):
    """The scenario file is unreadable or invalid; the message names the file and the field path."""


def _format_loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _cross_check(scenario: Scenario) -> list[str]:
    """References between objects, which field validators cannot see."""
    problems: list[str] = []
    seen: dict[str, str] = {}

    def unique(value: str, path: str) -> None:
        key = value.lower()
        if key in seen:
            problems.append(f"{path}: id {value} is already used at {seen[key]}")
        else:
            seen[key] = path

    for p, project in enumerate(scenario.projects):
        base = f"projects[{p}]"
        unique(project.id, f"{base}.id")
        post_ids = {post.platform_post_id.lower() for post in project.posts}
        ads_content_ids: set[str] = set()
        for i, post in enumerate(project.posts):
            unique(post.platform_post_id, f"{base}.posts[{i}].platformPostId")
            if post.ads_content_id:
                unique(post.ads_content_id, f"{base}.posts[{i}].adsContentId")
                ads_content_ids.add(post.ads_content_id.lower())
        for i, row in enumerate(project.ads_content):
            unique(row.ads_content_id, f"{base}.adsContent[{i}].adsContentId")
            ads_content_ids.add(row.ads_content_id.lower())
            if row.platform_post_id and row.platform_post_id.lower() not in post_ids:
                problems.append(
                    f"{base}.adsContent[{i}].platformPostId: {row.platform_post_id} is not a post of this project"
                )
        for i, ad in enumerate(project.ads):
            if ad.ads_content_id and ad.ads_content_id.lower() not in ads_content_ids:
                problems.append(
                    f"{base}.ads[{i}].adsContentId: {ad.ads_content_id} is not an ads-content row of this project"
                )
        ad_ids = [ad.ad_id for ad in project.ads]
        for i, ad_id in enumerate(ad_ids):
            if ad_id in ad_ids[:i]:
                problems.append(f"{base}.ads[{i}].adId: duplicate ad id {ad_id}")
        for i, rec in enumerate(project.recommendations):
            unique(rec.recommendation_id, f"{base}.recommendations[{i}].recommendationId")
    return problems


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML/JSON data; `source` names it in error messages."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_format_loc(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ScenarioError(f"{source}: " + "; ".join(lines)) from None
    problems = _cross_check(scenario)
    if problems:
        raise ScenarioError(f"{source}: " + "; ".join(problems))
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; an empty file is refused (it is never what was meant)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML{_yaml_where(exc)}") from None
    if data is None:
        raise ScenarioError(f"{path}: the scenario file is empty")
    return parse_scenario(data, str(path))


def _yaml_where(exc: yaml.YAMLError) -> str:
    """` at line L, column C: <problem>` from a YAML error, without its multi-line excerpt."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f" ({' '.join(str(exc).split())})"
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{where}: {exc.problem or exc.context or 'unreadable'}"
