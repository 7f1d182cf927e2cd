"""Generated fleets: N customers in one scenario, a realistic mix of what the agent meets, for the fleet
benchmark and for tests that need many projects (several pages of `GET /v1/projects`).

The mix, by share of the fleet (`MIX`): quiet customers whose posts hold no breakout; customers with a
breakout to clone (one in ten clone jobs fails); a breakout already cloned five times; thin creative pools
(a commission); new accounts with no posts; too few posts to judge; recommendations (a fatigued creative
to refresh and a brand change waiting for consent); and an ad spending without converting. Customers are
spread over twelve timezones and the three stages. The same `n` and `seed` give the same scenario.
"""

from __future__ import annotations

import random
from typing import Any

from agent.sandbox.scenario import parse_scenario
from agent.sandbox.scenario_schema import Scenario

MIX = (
    ("quiet", 0.30),
    ("breakout", 0.25),
    ("capped", 0.05),
    ("thin", 0.15),
    ("new", 0.08),
    ("insufficient", 0.05),
    ("recommendations", 0.07),
    ("spender", 0.05),
)
TIMEZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
STAGES = ("early", "growth", "mature")
POSTS = 8  # ordinary posts of a customer with data


def _uuid(k: int, j: int = 0, tail: int = 0) -> str:
    return f"{k:08d}-{j:04d}-4f1e-8000-{tail:012d}"


def project_id(k: int) -> str:
    return f"prj_{_uuid(k)}"


def archetype(k: int) -> str:
    """Customer k's kind: the mix laid out in proportion, interleaved so any prefix of the fleet mixes."""
    position = (k * 0.6180339887) % 1.0  # golden-ratio spacing spreads each kind over the whole fleet
    edge = 0.0
    for kind, share in MIX:
        edge += share
        if position < edge:
            return kind
    return MIX[0][0]


def fleet_scenario(n: int, *, seed: int = 0, job_seconds: float = 6.0) -> Scenario:
    """A validated scenario of `n` generated customers (project k is `prj_{k:08d}-0000-4f1e-8000-…`)."""
    if n < 1:
        raise ValueError("a fleet needs at least one customer")
    rng = random.Random(seed)
    projects = [_project(k, archetype(k), rng) for k in range(1, n + 1)]
    data = {
        "description": f"A generated fleet of {n} customers (agent.sandbox.fleet, seed {seed})",
        "rateLimits": {"tier": "standard"},
        "jobs": {"defaultDurationSeconds": job_seconds},
        "projects": projects,
    }
    return parse_scenario(data, f"<fleet of {n}>")


def _project(k: int, kind: str, rng: random.Random) -> dict[str, Any]:
    project: dict[str, Any] = {
        "id": project_id(k),
        "name": f"Fleet {k:05d} {kind}",
        "customerExternalId": f"fleet-{k:05d}",
        "timezone": TIMEZONES[k % len(TIMEZONES)],
        "stage": STAGES[k % len(STAGES)],
        "createdAgeDays": 30 + k % 300,
    }
    if kind == "new":
        return project
    count = 3 if kind == "insufficient" else POSTS
    eligible = 1 if kind == "thin" else count
    project["posts"] = [_post(k, j, rng, eligible=j <= eligible) for j in range(1, count + 1)]
    if kind in ("breakout", "capped"):
        project["posts"].append(_breakout(k, rng, capped=kind == "capped"))
    if kind == "recommendations":
        project["recommendations"] = _recommendations(k)
    # The fatigued creative of a recommendation spends without converting, so refreshing it is justified.
    project["ads"] = [_ad(k, rng, converting=kind not in ("spender", "recommendations"))]
    return project


def _post(k: int, j: int, rng: random.Random, *, eligible: bool) -> dict[str, Any]:
    return {
        "platformPostId": f"pp_{_uuid(k, j)}",
        "title": f"Post {j} of customer {k}",
        "views": rng.randint(200, 5000),
        "engagementRate": round(rng.uniform(0.015, 0.03), 4),
        "ageDays": rng.randint(1, 6),
        "organicScore": round(rng.uniform(4.5, 8.0), 1) if eligible else 2.0,
        "adsContentId": f"adc_{_uuid(k, j, 1)}",
    }


def _breakout(k: int, rng: random.Random, *, capped: bool) -> dict[str, Any]:
    post: dict[str, Any] = {
        "platformPostId": f"pp_{_uuid(k, 99)}",
        "title": f"The breakout of customer {k}",
        "views": rng.randint(15_000, 40_000),
        "engagementRate": round(rng.uniform(0.08, 0.12), 4),
        "ageDays": 2,
        "adsContentId": f"adc_{_uuid(k, 99, 1)}",
    }
    if capped:
        post["priorClones"] = 5
    elif k % 10 == 0:
        post["cloneJob"] = {"outcome": "failed", "error": {"code": "SOURCE_UNAVAILABLE", "message": "gone"}}
    return post


def _recommendations(k: int) -> list[dict[str, Any]]:
    project = project_id(k)
    return [
        {
            "recommendationId": f"rec_{_uuid(k, 1)}",
            "kind": "refresh_fatigued",
            "confidence": 0.82,
            "subject": {"type": "ads_content", "id": f"adc_{_uuid(k, 1, 1)}", "label": f"Post 1 of {k}"},
            "rationale": "CPA rose while impressions held steady.",
            "suggestedAction": {
                "endpoint": f"/v1/projects/{project}/content/clone-from-post",
                "method": "POST",
                "body": {"sourcePlatformPostId": f"pp_{_uuid(k, 1)}"},
            },
        },
        {
            "recommendationId": f"rec_{_uuid(k, 2)}",
            "kind": "value_propositions",
            "confidence": 0.75,
            "subject": {"type": "project", "id": project},
            "rationale": "Reviews praise the same-day service.",
            "suggestedAction": {
                "endpoint": f"/v1/projects/{project}",
                "method": "PATCH",
                "body": {"brand": {"valuePropositionsEmphasis": ["Same-day service"]}},
            },
        },
    ]


def _ad(k: int, rng: random.Random, *, converting: bool) -> dict[str, Any]:
    spend = round(rng.uniform(8.0, 20.0), 2)
    return {
        "adId": f"ad_fleet_{k:05d}",
        "adsContentId": f"adc_{_uuid(k, 1, 1)}",
        "daily": {
            "spend": spend,
            "impressions": rng.randint(2000, 6000),
            "clicks": rng.randint(20, 120),
            "conversions": rng.randint(1, 4) if converting else 0,
            "revenue": round(spend * rng.uniform(1.2, 3.0), 2) if converting else 0,
        },
        "activeDays": 14,
    }
