"""What happens to every request, in order: admin bypass, auth, kill switch, routing, rate limit,
injected faults, Idempotency-Key, the handler under the state lock, the witness log, late answers,
malformed bodies and schema drift."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from agent.logging import get_logger
from agent.sandbox import ids, routes, settling
from agent.sandbox.auth import authenticate
from agent.sandbox.clock import Clock
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.counters import CallKey, RequestCounters
from agent.sandbox.errors import ApiError, conflict, not_found
from agent.sandbox.faults import NO_FAULTS, FaultInjector, FaultPlan, drift_body, malformed_body
from agent.sandbox.idempotency import IdempotencyStore, StoredResponse, fingerprint
from agent.sandbox.ratelimit import RateLimiter
from agent.sandbox.state import SandboxState
from agent.sandbox.witness import Outcome, WitnessLog

log = get_logger(__name__)
INJECTED_CODES = {500: "INTERNAL", 502: "BAD_GATEWAY", 503: "UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}
Wait = Callable[[float], bool]
PATH_FACTS: tuple[tuple[str, ids.Kind, str], ...] = (
    ("containerId", "container", "container_id"),
    ("projectId", "project", "project_id"),
    ("jobId", "job", "job_id"),
)
AdminHandler = Callable[[str, str, dict[str, list[str]], bytes], tuple[int, Any]]
"""(method, path, query, raw body) -> (status, JSON body) for `/_sandbox/*`."""


@dataclass(frozen=True)
class RawRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What the socket layer sends; `reset` = abort the connection without answering."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reset: bool = False


RESET = Reply(0, reset=True)


def json_reply(status: int, body: Any, headers: dict[str, str]) -> Reply:
    if status == 304 or body is None:
        return Reply(status, headers)
    payload = json.dumps(body, separators=(",", ":")).encode()
    return Reply(status, {**headers, "Content-Type": "application/json; charset=utf-8"}, payload)


class Pipeline:
    """Every collaborator is passed in; `state` is a callable because a reset swaps the state."""

    def __init__(
        self,
        *,
        state: Callable[[], SandboxState],
        clock: Clock,
        api_keys: frozenset[str],
        limiter: RateLimiter,
        injector: FaultInjector,
        idempotency: IdempotencyStore,
        witness: WitnessLog,
        admin: AdminHandler,
    ) -> None:
        self._state = state
        self._clock = clock
        self._api_keys = api_keys
        self._limiter = limiter
        self._injector = injector
        self._idempotency = idempotency
        self._witness_log = witness
        self._admin = admin
        self.counters = RequestCounters()

    def answered(self) -> dict[tuple[str, int], int]:
        """API answers sent so far, by (endpoint class, status); admin calls and aborted connections excluded."""
        answered: Counter[tuple[str, int]] = Counter()
        for key, n in self.counters.snapshot().items():
            answered[(key.endpoint_class, key.status)] += n
        return dict(answered)

    def handle(self, raw: RawRequest, wait: Wait) -> Reply:
        """Never raises: a sandbox bug becomes a 500 envelope (and a log line), not a dropped socket."""
        request_id = ids.encode("request", ids.ulid())
        split = urlsplit(raw.target)
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            if split.path.startswith("/_sandbox"):
                status, body = self._admin(raw.method, split.path, query, raw.body)
                return json_reply(status, body, {"X-Request-Id": request_id})
            return self._api(raw, split.path, query, request_id, wait)
        except Exception:
            log.exception("sandbox.request_failed", method=raw.method, path=split.path, request_id=request_id)
            body = ApiError(500, "INTERNAL", "Internal sandbox error.").envelope(request_id)
            return json_reply(500, body, {"X-Request-Id": request_id})

    def _api(
        self, raw: RawRequest, path: str, query: dict[str, list[str]], request_id: str, wait: Wait
    ) -> Reply:
        found = routes.match(raw.method, path)
        route, params = found if found else (None, {})
        endpoint_class = route.endpoint_class if route else routes.default_class(raw.method)
        headers = {"X-Request-Id": request_id, "X-RateLimit-Endpoint-Class": endpoint_class}
        req = ApiRequest(
            raw.method, path, query, raw.headers, raw.body, request_id, self._clock(), params=params
        )
        mutation = raw.method in routes.MUTATING_METHODS
        if mutation:
            _prefill_facts(req)
        idempotency_key = raw.headers.get("idempotency-key") if mutation else None
        plan: FaultPlan = NO_FAULTS
        try:
            api_key, req.api_key_id = authenticate(raw.headers, self._api_keys)
            faults = self._injector.config
            if faults.kill_switch:
                raise ApiError(503, "KILL_SWITCH", "API access for this key is suspended (kill switch).")
            if route is None:
                raise not_found(f"No route for {raw.method} {path}.")
            decision = self._limiter.check(api_key, endpoint_class, req.now)
            headers.update(decision.headers())
            if not decision.allowed:
                raise _rate_limited(decision.retry_after_s, f"Rate limit for {endpoint_class} exceeded.")
            plan = self._injector.plan(raw.method, path)
            if plan.delay_s and wait(plan.delay_s):
                return RESET
            if plan.reset:
                self._witness(req, route, idempotency_key, 0, "reset")
                return RESET
            if plan.status_5xx is not None:
                raise _injected_5xx(plan.status_5xx, faults.retry_after_s)
            if plan.reject_429:
                raise _rate_limited(faults.retry_after_s, "Rate limited (injected fault).")
            response = self._run(req, route, api_key, idempotency_key)
        except ApiError as err:
            response = ApiResponse(err.status, err.envelope(request_id), err.headers)
        if mutation:
            self._witness(
                req, route, idempotency_key, response.status, plan.blocks or ("late" if plan.late else None)
            )
        if plan.late and wait(self._injector.config.late_delay_s):
            return RESET
        self.counters.count(
            CallKey(
                endpoint_class,
                raw.method,
                route.template if route else path,
                response.status,
                ids.normalise("project", params["projectId"]) if "projectId" in params else None,
            )
        )
        return self._render(response, headers, plan)

    def _run(
        self, req: ApiRequest, route: routes.Route, api_key: str, idempotency_key: str | None
    ) -> ApiResponse:
        """Idempotency-Key replay/conflict around the handler; transient answers are never stored."""
        store = self._idempotency
        scope = (api_key, f"{req.method} {route.template}", idempotency_key) if idempotency_key else None
        if scope is not None:
            begin = store.begin(scope, fingerprint(req.body), req.now)
            if begin.verdict == "conflict":
                raise ApiError(
                    409,
                    "IDEMPOTENCY_CONFLICT",
                    "This Idempotency-Key was already used with a different request body.",
                )
            if begin.verdict == "busy":
                raise conflict(
                    "A request with this Idempotency-Key is still in flight.", subcode="IDEMPOTENCY_IN_FLIGHT"
                )
            if begin.verdict == "replay" and begin.response is not None:
                req.outcome = Outcome.REPLAYED
                req.witness.update(begin.response.facts)
                return ApiResponse(begin.response.status, begin.response.body, dict(begin.response.headers))
        try:
            response = self._call(req, route)
        except BaseException:
            if scope is not None:
                store.abandon(scope)
            raise
        if scope is not None:
            store.complete(
                scope, StoredResponse(response.status, response.body, response.headers, dict(req.witness))
            )
        return response

    def _call(self, req: ApiRequest, route: routes.Route) -> ApiResponse:
        state = self._state()
        try:
            with state.lock:
                settling.settle(state)  # jobs, then reviews and posts (issue 15)
                return route.handler(req, state)
        except ApiError as err:
            return ApiResponse(err.status, err.envelope(req.request_id), err.headers)
        except Exception:
            log.exception(
                "sandbox.handler_failed", method=req.method, path=req.path, request_id=req.request_id
            )
            return ApiResponse(
                500, ApiError(500, "INTERNAL", "Internal sandbox error.").envelope(req.request_id)
            )

    def _witness(
        self, req: ApiRequest, route: routes.Route | None, key: str | None, status: int, fault: str | None
    ) -> None:
        facts = req.witness
        self._witness_log.record(
            at=req.now,
            request_id=req.request_id,
            method=req.method,
            path=req.path,
            kind=route.kind if route else None,
            outcome=req.outcome,
            status=status,
            idempotency_key=key,
            api_key_id=req.api_key_id or None,
            project_id=facts.get("project_id"),
            container_id=facts.get("container_id"),
            container_ids=tuple(facts.get("container_ids", ())),
            source_post_id=facts.get("source_post_id"),
            job_id=facts.get("job_id"),
            fault=fault,
        )

    def _render(self, response: ApiResponse, headers: dict[str, str], plan: FaultPlan) -> Reply:
        reply_headers = {**headers, **response.headers}
        body = response.body
        success = 200 <= response.status < 300 and body is not None
        if success and plan.drift:
            body = drift_body(body, plan.drift, plan.drift_pick)
        reply = json_reply(response.status, body, reply_headers)
        if success and plan.malformed:
            reply.body = malformed_body(reply.body)
        return reply


def _prefill_facts(req: ApiRequest) -> None:
    """Witness facts readable without running the handler, so faulted requests can be found too."""
    for param, kind, fact in PATH_FACTS:
        if param in req.params:
            req.note(**{fact: ids.normalise(kind, req.params[param])})
    try:
        body = json.loads(req.body) if req.body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return
    if isinstance(body, dict):
        if isinstance(body.get("sourcePlatformPostId"), str):
            req.note(source_post_id=body["sourcePlatformPostId"])
        if isinstance(body.get("projectId"), str) and "project_id" not in req.witness:
            req.note(project_id=body["projectId"])


def _rate_limited(retry_after_s: int, message: str) -> ApiError:
    return ApiError(429, "RATE_LIMITED", message, headers={"Retry-After": str(max(1, retry_after_s))})


def _injected_5xx(status: int, retry_after_s: int) -> ApiError:
    extra = {"Retry-After": str(retry_after_s)} if status == 503 else {}
    return ApiError(
        status, INJECTED_CODES.get(status, "INTERNAL"), f"Injected fault: HTTP {status}.", headers=extra
    )
