"""LayersClient: the one way the agent talks to the Layers Partner API.

Shape borrowed from openai-python: one pooled `httpx.Client` (passed in or built here), an explicit
`httpx.Timeout`, typed errors from one mapping (`errors.error_from_response`), pydantic models for
every response, and retries from one policy (`retry.RetryPolicy`). Every attempt, retries included,
first takes a token from the shared quota limiter.

Mutations are retried only under the caller's `Idempotency-Key` (persisted by the caller before the
first send), so a retry can never apply a change twice. Passing `idempotency_key=None` is an explicit
choice to send once and never retry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import SecretStr
from pydantic.alias_generators import to_camel

from agent.config import Settings
from agent.layers import routes
from agent.layers.errors import (
    ContractError,
    LayersConnectionError,
    LayersError,
    LayersTimeout,
    RateLimited,
    error_from_response,
)
from agent.layers.models import (
    AdsContentItem,
    AdsContentPage,
    AdsMetricsResponse,
    Container,
    Job,
    JobCancelResult,
    JobEnvelope,
    JobPoll,
    LayersModel,
    MetricsResponse,
    Page,
    Project,
    ProjectPage,
    Recommendation,
    RecommendationPage,
    TopPerformersResponse,
    Whoami,
    parse_response,
)
from agent.layers.quota import InMemoryRateLimiter, NoopRateLimiter, RateLimiter
from agent.layers.retry import RetryPolicy, parse_retry_after
from agent.layers.routes import Route, validate_relative_path
from agent.logging import get_logger

Model = TypeVar("Model", bound=LayersModel)
Item = TypeVar("Item", bound=LayersModel)
OnResponse = Callable[[str, str, int, float], None]
QueryValue = str | int | float | bool | datetime | Sequence[str] | None

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


def iso_utc(value: datetime) -> str:
    """`2026-04-10T00:00:00Z`: Layers rejects date-only values and wants UTC with `Z`."""
    if value.tzinfo is None:
        raise ValueError("datetimes sent to Layers must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _query(**params: QueryValue) -> dict[str, Any]:
    """camelCase query params with None dropped, booleans as true/false, lists repeated."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        key = to_camel(name)
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[key] = iso_utc(value)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) for v in value]
        else:
            out[key] = value
    return out


def _camel_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Accept snake_case keyword fields (app_description) as well as wire names (appDescription)."""
    return {to_camel(k) if "_" in k else k: v for k, v in fields.items()}


def _check_idempotency_key(key: str | None) -> None:
    if key is not None and (not key or len(key) > 255 or not key.isascii() or not key.isprintable()):
        raise ValueError("idempotency_key must be 1-255 printable ASCII characters (or None to never retry)")


class LayersClient:
    """Typed, rate-limited, retrying client for the Layers Partner API. Use as a context manager."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr,
        http: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        sleep: Callable[[float], None] = time.sleep,  # noqa: TID251 - retry backoff, bounded by the policy deadline
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_response: OnResponse | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout or DEFAULT_TIMEOUT
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=self._timeout, limits=DEFAULT_LIMITS)
        self._limiter: RateLimiter = limiter or NoopRateLimiter()
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_response = on_response
        self._user_agent = _user_agent()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        limiter: RateLimiter | None = None,
        on_response: OnResponse | None = None,
    ) -> LayersClient:
        """The production client; without a limiter, a process-local one at the configured rates."""
        return cls(
            base_url=settings.layers_base_url,
            api_key=settings.api_key(),
            limiter=limiter or InMemoryRateLimiter.from_settings(settings),
            retry=RetryPolicy.from_settings(settings),
            timeout=httpx.Timeout(settings.http_timeout_s, connect=settings.http_connect_timeout_s),
            on_response=on_response,
        )

    def __repr__(self) -> str:
        return f"LayersClient(base_url={self._base_url!r})"

    def close(self) -> None:
        """Close the HTTP pool if this client built it (a pool passed in belongs to the caller)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- transport -------------------------------------------------------------------------------

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

    def _send_once(
        self,
        route: Route,
        path: str,
        attempt: int,
        *,
        params: Mapping[str, Any] | None,
        body: object,
        idempotency_key: str | None,
        headers: Mapping[str, str] | None,
        accept_not_modified: bool,
    ) -> httpx.Response:
        self._limiter.acquire(route.endpoint_class)
        started = self._clock()
        try:
            response = self._http.request(
                route.method,
                self._base_url + path,
                params=params,
                json=body,
                headers=self._headers(idempotency_key, headers),
                timeout=self._timeout,
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
        try:
            payload: object = response.json()
        except ValueError:
            payload = None
        error = error_from_response(
            response.status_code,
            payload,
            request_id=request_id,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
        if isinstance(error, RateLimited) and error.retry_after is not None:
            self._limiter.back_off(route.endpoint_class, error.retry_after)
        raise error

    def _request(
        self,
        route: Route,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: object = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        accept_not_modified: bool = False,
    ) -> httpx.Response:
        """Send with quota and retries; a mutation is retried only when it carries an Idempotency-Key."""
        _check_idempotency_key(idempotency_key)
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

        return self._retry.run(
            lambda attempt: self._send_once(
                route,
                path,
                attempt,
                params=params,
                body=body,
                idempotency_key=idempotency_key,
                headers=headers,
                accept_not_modified=accept_not_modified,
            ),
            may_retry=may_retry,
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
            on_retry=on_retry,
        )

    @staticmethod
    def _json(route: Route, response: httpx.Response) -> object:
        try:
            return response.json()
        except ValueError:
            raise ContractError(
                route.name,
                "(body)",
                "is not valid JSON",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
            ) from None

    def _call(self, model: type[Model], route: Route, path: str, **kwargs: Any) -> Model:
        response = self._request(route, path, **kwargs)
        return parse_response(
            model,
            self._json(route, response),
            endpoint=route.name,
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )

    def _iterate(self, fetch: Callable[[str | None], Page[Item]], route: Route) -> Iterator[Item]:
        """Every item of every page; a cursor that repeats is a server bug, not an endless loop."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = fetch(cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            if page.next_cursor in seen:
                raise ContractError(route.name, "nextCursor", "repeats an earlier cursor")
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    # ---- organization and projects --------------------------------------------------------------

    def whoami(self) -> Whoami:
        return self._call(Whoami, routes.WHOAMI, routes.WHOAMI.path())

    def create_project(
        self,
        *,
        name: str,
        timezone: str,
        customer_external_id: str | None = None,
        idempotency_key: str | None,
        **fields: Any,
    ) -> Project:
        body = {"name": name, "timezone": timezone, **_camel_keys(fields)}
        if customer_external_id is not None:
            body["customerExternalId"] = customer_external_id
        route = routes.CREATE_PROJECT
        return self._call(Project, route, route.path(), body=body, idempotency_key=idempotency_key)

    def get_project(self, project_id: str) -> Project:
        route = routes.GET_PROJECT
        return self._call(Project, route, route.path(projectId=project_id))

    def list_projects(
        self, *, customer_external_id: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> ProjectPage:
        route = routes.LIST_PROJECTS
        params = _query(customer_external_id=customer_external_id, cursor=cursor, limit=limit)
        return self._call(ProjectPage, route, route.path(), params=params)

    def iter_projects(
        self, *, customer_external_id: str | None = None, limit: int | None = None
    ) -> Iterator[Project]:
        return self._iterate(
            lambda cursor: self.list_projects(
                customer_external_id=customer_external_id, cursor=cursor, limit=limit
            ),
            routes.LIST_PROJECTS,
        )

    def patch_project(
        self, project_id: str, body: Mapping[str, Any], *, idempotency_key: str | None
    ) -> Project:
        route = routes.PATCH_PROJECT
        return self._call(
            Project, route, route.path(projectId=project_id), body=dict(body), idempotency_key=idempotency_key
        )

    # ---- metrics --------------------------------------------------------------------------------

    def metrics(
        self,
        project_id: str,
        *,
        scope: str,
        id: str,
        metrics: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        granularity: str | None = None,
    ) -> MetricsResponse:
        route = routes.METRICS
        params = _query(
            scope=scope, id=id, metrics=metrics, since=since, until=until, granularity=granularity
        )
        return self._call(MetricsResponse, route, route.path(projectId=project_id), params=params)

    def top_performers(
        self,
        project_id: str,
        *,
        metric: str,
        window: str = "30d",
        limit: int | None = None,
        include_ineligible: bool | None = None,
        source_type: Sequence[str] | None = None,
        platform: Sequence[str] | None = None,
    ) -> TopPerformersResponse:
        route = routes.TOP_PERFORMERS
        params = _query(
            metric=metric,
            window=window,
            limit=limit,
            include_ineligible=include_ineligible,
            source_type=source_type,
            platform=platform,
        )
        return self._call(TopPerformersResponse, route, route.path(projectId=project_id), params=params)

    def list_ads_content(
        self,
        project_id: str,
        *,
        eligible: bool | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
        scoring_pool: Sequence[str] | None = None,
        min_score: float | None = None,
        override: str | None = None,
    ) -> AdsContentPage:
        route = routes.LIST_ADS_CONTENT
        params = _query(
            eligible=eligible,
            sort=sort,
            cursor=cursor,
            limit=limit,
            scoring_pool=scoring_pool,
            min_score=min_score,
            override=override,
        )
        return self._call(AdsContentPage, route, route.path(projectId=project_id), params=params)

    def iter_ads_content(
        self,
        project_id: str,
        *,
        eligible: bool | None = None,
        sort: str | None = None,
        limit: int | None = None,
        scoring_pool: Sequence[str] | None = None,
        min_score: float | None = None,
        override: str | None = None,
    ) -> Iterator[AdsContentItem]:
        return self._iterate(
            lambda cursor: self.list_ads_content(
                project_id,
                eligible=eligible,
                sort=sort,
                cursor=cursor,
                limit=limit,
                scoring_pool=scoring_pool,
                min_score=min_score,
                override=override,
            ),
            routes.LIST_ADS_CONTENT,
        )

    def patch_ads_content(
        self,
        project_id: str,
        ads_content_id: str,
        *,
        override: str | None,
        note: str | None = None,
        idempotency_key: str | None,
    ) -> AdsContentItem:
        """Pin a creative in (`include`) or out (`exclude`) of the ad pool; None clears the pin."""
        body: dict[str, Any] = {"override": override}
        if note is not None:
            body["note"] = note
        route = routes.PATCH_ADS_CONTENT
        path = route.path(projectId=project_id, adsContentId=ads_content_id)
        return self._call(AdsContentItem, route, path, body=body, idempotency_key=idempotency_key)

    def ads_metrics(
        self,
        project_id: str,
        *,
        since: datetime,
        until: datetime,
        group_by: str | None = None,
        scope: str | None = None,
        id: str | None = None,
        metrics: Sequence[str] | None = None,
        granularity: str | None = None,
    ) -> AdsMetricsResponse:
        route = routes.ADS_METRICS
        params = _query(
            since=since,
            until=until,
            group_by=group_by,
            scope=scope,
            id=id,
            metrics=metrics,
            granularity=granularity,
        )
        return self._call(AdsMetricsResponse, route, route.path(projectId=project_id), params=params)

    def list_recommendations(
        self,
        project_id: str,
        *,
        status: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        min_confidence: float | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> RecommendationPage:
        route = routes.LIST_RECOMMENDATIONS
        params = _query(
            status=status, kind=kind, min_confidence=min_confidence, sort=sort, cursor=cursor, limit=limit
        )
        return self._call(RecommendationPage, route, route.path(projectId=project_id), params=params)

    def iter_recommendations(
        self,
        project_id: str,
        *,
        status: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        min_confidence: float | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Recommendation]:
        return self._iterate(
            lambda cursor: self.list_recommendations(
                project_id,
                status=status,
                kind=kind,
                min_confidence=min_confidence,
                sort=sort,
                cursor=cursor,
                limit=limit,
            ),
            routes.LIST_RECOMMENDATIONS,
        )

    # ---- content and jobs -----------------------------------------------------------------------

    def clone_from_post(
        self,
        container_id: str,
        *,
        project_id: str,
        source_platform_post_id: str,
        mode: str = "fork",
        variations: int = 1,
        overrides: Mapping[str, Any] | None = None,
        idempotency_key: str | None,
    ) -> JobEnvelope:
        """Clone a post into the new container `container_id` (client-minted; also idempotent by path)."""
        body: dict[str, Any] = {
            "projectId": project_id,
            "sourcePlatformPostId": source_platform_post_id,
            "mode": mode,
            "variations": variations,
        }
        if overrides is not None:
            body["overrides"] = dict(overrides)
        route = routes.CLONE_FROM_POST
        path = route.path(containerId=container_id)
        return self._call(JobEnvelope, route, path, body=body, idempotency_key=idempotency_key)

    def generate_content(
        self,
        project_id: str,
        *,
        container_id: str | None,
        brief: Mapping[str, Any],
        variant_count: int = 1,
        format: str | None = None,
        idempotency_key: str | None,
    ) -> JobEnvelope:
        """Start content generation; `container_id` (body `id`) makes the first container an upsert."""
        body: dict[str, Any] = {"brief": dict(brief), "variantCount": variant_count}
        if container_id is not None:
            body["id"] = container_id
        if format is not None:
            body["format"] = format
        route = routes.GENERATE_CONTENT
        path = route.path(projectId=project_id)
        return self._call(JobEnvelope, route, path, body=body, idempotency_key=idempotency_key)

    def get_content(self, container_id: str) -> Container:
        route = routes.GET_CONTENT
        return self._call(Container, route, route.path(containerId=container_id))

    def get_job(self, job_id: str, *, etag: str | None = None) -> JobPoll:
        """Poll a job; with `etag`, an unchanged job costs a 304 and comes back as `not_modified`."""
        route = routes.GET_JOB
        response = self._request(
            route,
            route.path(jobId=job_id),
            headers={"If-None-Match": etag} if etag else None,
            accept_not_modified=True,
        )
        new_etag = response.headers.get("etag") or etag
        if response.status_code == 304:
            return JobPoll(job=None, etag=new_etag, not_modified=True)
        job = parse_response(
            Job,
            self._json(route, response),
            endpoint=route.name,
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )
        return JobPoll(job=job, etag=new_etag, not_modified=False)

    def cancel_job(self, job_id: str, *, idempotency_key: str | None) -> JobCancelResult:
        route = routes.CANCEL_JOB
        return self._call(JobCancelResult, route, route.path(jobId=job_id), idempotency_key=idempotency_key)

    # ---- server-suggested actions ---------------------------------------------------------------

    def call_relative(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, idempotency_key: str | None
    ) -> Any:
        """Execute an approved recommendation's `suggestedAction` and return the decoded JSON answer.

        The path must pass `validate_relative_path`; it is only ever joined onto the configured base.
        """
        method = method.upper()
        if method not in {"GET", *MUTATING_METHODS}:
            raise ValueError(f"unsupported method {method!r}")
        path = validate_relative_path(path)
        route = routes.route_for(method, path)
        response = self._request(
            route, path, body=dict(body) if body is not None else None, idempotency_key=idempotency_key
        )
        return self._json(route, response)
