"""Helpers for the Layers client unit tests: a scripted HTTP transport and a fake clock."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent.layers import LayersClient, RetryPolicy

API_KEY = "lp_test_abc123_SENTINELsecretvalue"
BASE_URL = "https://api.layers.test"


@dataclass
class FakeClock:
    """Monotonic time that only moves when something sleeps (or a test advances it)."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(
        status, content=content, headers={"content-type": "application/json", **(headers or {})}
    )


def error(
    status: int, code: str | None, *, message: str = "nope", details: dict | None = None, **headers: str
):
    envelope: dict[str, Any] = {"message": message, "requestId": "req_01TEST"}
    if code is not None:
        envelope["code"] = code
    if details is not None:
        envelope["details"] = details
    return reply(status, {"error": envelope}, {k.replace("_", "-"): v for k, v in headers.items()})


class Script:
    """A MockTransport handler that answers from a list (the last answer repeats) and records requests."""

    def __init__(
        self, answers: Iterable[httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]]
    ):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock):
    """Build a LayersClient over a Script; keyword arguments override the client's."""
    clients: list[LayersClient] = []

    def build(script: Script, **overrides: Any) -> LayersClient:
        kwargs: dict[str, Any] = {
            "base_url": BASE_URL,
            "api_key": SecretStr(API_KEY),
            "http": httpx.Client(transport=httpx.MockTransport(script)),
            "retry": RetryPolicy(max_attempts=5, deadline_s=60.0, retry_after_cap_s=30.0),
            "sleep": clock.sleep,
            "clock": clock,
            "rng": random.Random(7),
        }
        kwargs.update(overrides)
        client = LayersClient(**kwargs)
        clients.append((client, kwargs["http"]))
        return client

    yield build
    for client, http in clients:
        client.close()
        http.close()
