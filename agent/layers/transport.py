"""The HTTP side of the Layers client: one request in, one validated model (or one typed error) out.

Shape borrowed from openai-python: one pooled `httpx.Client` (passed in or built here), an explicit
`httpx.Timeout`, typed errors from one mapping (`errors.error_from_response`), pydantic models for
every response, and retries from one policy (`retry.RetryPolicy`). Every attempt, retries included,
first takes a token from the shared quota limiter.

Mutations are retried only under the caller's `Idempotency-Key` (persisted by the caller before the
first send), so a retry can never apply a change twice. Passing `idempotency_key=None` is an explicit
choice to send once and never retry.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from agent.layers.errors import (
    ContractError,
    LayersConnectionError,
    LayersError,
    LayersTimeout,
    RateLimited,
    error_from_response,
)
from agent.layers.models import LayersModel
from agent.layers.quota import NoopRateLimiter, RateLimiter
from agent.layers.retry import RetryPolicy, parse_retry_after
from agent.layers.routes import Route, Target
from agent.logging import get_logger

Model = TypeVar("Model", bound=LayersModel)
OnResponse = Callable[[str, str, int, float], None]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
NO_RESPONSE_STATUS = 0  # what on_response sees when the request got no HTTP answer at all

log = get_logger("agent.layers")


def _user_agent() -> str:
    try:
        return f"growth-agent/{version('growth-agent')}"
    except PackageNotFoundError:
        return "growth-agent/0+unknown"


def _check_idempotency_key(key: str | None) -> None:
    if key is not None and (not key or len(key) > 255 or not key.isascii() or not key.isprintable()):
        raise ValueError("idempotency_key must be 1-255 printable ASCII characters (or None to never retry)")


class NonFiniteNumber(ValueError):
    """A JSON body holds NaN or ±Infinity (Python's parser accepts them; JSON and every caller do not)."""


def _refuse_constant(name: str) -> NoReturn:
    raise NonFiniteNumber(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf
        raise NonFiniteNumber(text)
    return value


def decode_json(response: httpx.Response) -> object:
    """The body as strict JSON: NaN, Infinity and overflowing numbers raise NonFiniteNumber."""
    return response.json(parse_constant=_refuse_constant, parse_float=_finite_float)


def parse_response(
    model: type[Model],
    data: object,
    *,
    endpoint: str,
    status: int | None = None,
    request_id: str | None = None,
) -> Model:
    """Validate a decoded JSON body; a mismatch becomes a ContractError naming the endpoint and field."""
    if not isinstance(data, dict):
        raise ContractError(endpoint, "(body)", "must be a JSON object", status=status, request_id=request_id)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(body)"
        problem = "is required" if first["type"] == "missing" else f"is invalid: {first['msg']}"
        raise ContractError(endpoint, field, problem, status=status, request_id=request_id) from None


class Transport:
    """Sends one logical call to Layers: quota token, headers, retries, typed errors, decoded body."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr,
        http: httpx.Client | None,
        limiter: RateLimiter | None,
        retry: RetryPolicy | None,
        timeout: httpx.Timeout | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random | None,
        on_response: OnResponse | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout or DEFAULT_TIMEOUT
        self._owns_http = http is None
        self.http = http or httpx.Client(timeout=self.timeout, limits=DEFAULT_LIMITS)
        self.limiter: RateLimiter = limiter or NoopRateLimiter()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_response = on_response
        self._user_agent = _user_agent()

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP pool if it was built here (a pool passed in belongs to the caller)."""
        if self._owns_http:
            self.http.close()

    def call(self, model: type[Model], target: Target, **kwargs: Any) -> Model:
        """Send (see `send`) and validate the answer as `model`."""
        return self.parse(model, target.route, self.send(target, **kwargs))

    def send(
        self,
        target: Target,
        *,
        params: Mapping[str, Any] | None = None,
        body: object = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        accept_not_modified: bool = False,
    ) -> httpx.Response:
        """Send with quota and retries; a mutation is retried only when it carries an Idempotency-Key."""
        _check_idempotency_key(idempotency_key)
        route = target.route
        may_retry = route.method not in MUTATING_METHODS or idempotency_key is not None

        def on_retry(exc: LayersError, attempt: int, delay: float) -> None:
            log.info(
                "layers.retry",
                route=route.name,
                code=exc.code,
                status=exc.status,
                attempt=attempt,
                delay_s=delay,
            )

        request_headers = self._headers(idempotency_key, headers)
        return self.retry.run(
            lambda attempt: self._send_once(
                target,
                attempt,
                params=params,
                body=body,
                headers=request_headers,
                accept_not_modified=accept_not_modified,
            ),
            may_retry=may_retry,
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
            on_retry=on_retry,
        )

    def decode(self, route: Route, response: httpx.Response) -> object:
        """The decoded JSON body; bad JSON or a non-finite number is a ContractError naming the route."""
        try:
            return decode_json(response)
        except NonFiniteNumber as exc:
            problem = f"has a number that is not finite ({exc})"
        except ValueError:
            problem = "is not valid JSON"
        raise ContractError(
            route.name,
            "(body)",
            problem,
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )

    def parse(self, model: type[Model], route: Route, response: httpx.Response) -> Model:
        """The decoded body validated as `model`."""
        return parse_response(
            model,
            self.decode(route, response),
            endpoint=route.name,
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )

    def _headers(self, idempotency_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
            "User-Agent": self._user_agent,
            "Accept": "application/json",
        }
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        headers.update(extra or {})
        return headers

    def _send_once(
        self,
        target: Target,
        attempt: int,
        *,
        params: Mapping[str, Any] | None,
        body: object,
        headers: Mapping[str, str],
        accept_not_modified: bool,
    ) -> httpx.Response:
        route = target.route
        self.limiter.acquire(route.endpoint_class)
        started = self._clock()
        try:
            response = self.http.request(
                route.method,
                self.base_url + target.path,
                params=params,
                json=body,
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            self._observe(route, NO_RESPONSE_STATUS, started, attempt, None)
            raise LayersTimeout(f"{route.name} timed out ({type(exc).__name__})") from exc
        except httpx.RequestError as exc:
            self._observe(route, NO_RESPONSE_STATUS, started, attempt, None)
            raise LayersConnectionError(f"{route.name} failed: {type(exc).__name__}") from exc
        request_id = response.headers.get("x-request-id")
        self._observe(route, response.status_code, started, attempt, request_id)
        if response.is_success or (accept_not_modified and response.status_code == 304):
            return response
        raise self._error(route, response, request_id)

    def _error(self, route: Route, response: httpx.Response, request_id: str | None) -> LayersError:
        """The typed error of a non-2xx answer; a 429's Retry-After also blocks the limiter's class."""
        try:
            payload = decode_json(response)
        except ValueError:  # not an envelope (a proxy's HTML, bad JSON): the status decides
            payload = None
        error = error_from_response(
            response.status_code,
            payload,
            request_id=request_id,
            retry_after_s=parse_retry_after(response.headers.get("retry-after")),
        )
        if isinstance(error, RateLimited) and error.retry_after_s is not None:
            self.limiter.back_off(route.endpoint_class, error.retry_after_s)
        return error

    def _observe(
        self, route: Route, status: int, started: float, attempt: int, request_id: str | None
    ) -> None:
        elapsed = self._clock() - started
        log.debug(
            "layers.call",
            method=route.method,
            route=route.template,
            status=status,
            request_id=request_id,
            attempt=attempt,
            elapsed_s=round(elapsed, 4),
        )
        if self._on_response is not None:
            self._on_response(route.method, route.template, status, elapsed)
