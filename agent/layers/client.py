"""LayersClient: the one way the agent talks to the Layers Partner API, one typed method per endpoint.

The methods only say what goes on the wire and which model comes back; quota, retries, errors and
decoding are the transport's (`transport.Transport`), pagination is `pagination.paginated`'s.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, Unpack

import httpx
from pydantic import SecretStr

from agent.config import Settings
from agent.layers import routes
from agent.layers.filters import (
    AdsContentFilters,
    AdsMetricsFilters,
    MetricsFilters,
    ProjectFilters,
    RecommendationFilters,
    TopPerformersFilters,
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
    MetricsResponse,
    Project,
    ProjectPage,
    RecommendationPage,
    TopPerformersResponse,
    Whoami,
)
from agent.layers.pagination import paginated
from agent.layers.publishing import PublishingCalls
from agent.layers.quota import InMemoryRateLimiter, RateLimiter
from agent.layers.retry import RetryPolicy
from agent.layers.transport import OnResponse, Transport
from agent.layers.webhooks import CreatedWebhookEndpoint, RotatedWebhookSecret, WebhookEndpointPage
from agent.layers.wire import camel_keys, query
from agent.rules.actions import validate_suggested_action


class LayersClient(PublishingCalls):
    """Typed, rate-limited, retrying client for the Layers Partner API. Use as a context manager.

    The scheduling calls (social accounts, schedule, scheduled posts) come from `PublishingCalls`."""

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
        self._transport = Transport(
            base_url=base_url,
            api_key=api_key,
            http=http,
            limiter=limiter,
            retry=retry,
            timeout=timeout,
            sleep=sleep,
            clock=clock,
            rng=rng,
            on_response=on_response,
        )

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
        return f"LayersClient(base_url={self._transport.base_url!r})"

    def close(self) -> None:
        """Close the HTTP pool if this client built it (a pool passed in belongs to the caller)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- organization and projects --------------------------------------------------------------

    def whoami(self) -> Whoami:
        return self._transport.call(Whoami, routes.WHOAMI.at())

    def create_project(
        self,
        *,
        name: str,
        timezone: str,
        customer_external_id: str | None = None,
        idempotency_key: str | None,
        **fields: Any,
    ) -> Project:
        body = {"name": name, "timezone": timezone, **camel_keys(fields)}
        if customer_external_id is not None:
            body["customerExternalId"] = customer_external_id
        target = routes.CREATE_PROJECT.at()
        return self._transport.call(Project, target, body=body, idempotency_key=idempotency_key)

    def get_project(self, project_id: str) -> Project:
        return self._transport.call(Project, routes.GET_PROJECT.at(projectId=project_id))

    def list_projects(self, **filters: Unpack[ProjectFilters]) -> ProjectPage:
        return self._transport.call(ProjectPage, routes.LIST_PROJECTS.at(), params=query(**filters))

    iter_projects = paginated(list_projects, routes.LIST_PROJECTS)

    def patch_project(
        self, project_id: str, body: Mapping[str, Any], *, idempotency_key: str | None
    ) -> Project:
        target = routes.PATCH_PROJECT.at(projectId=project_id)
        return self._transport.call(Project, target, body=dict(body), idempotency_key=idempotency_key)

    # ---- metrics --------------------------------------------------------------------------------

    def metrics(
        self, project_id: str, *, scope: str, id: str, **filters: Unpack[MetricsFilters]
    ) -> MetricsResponse:
        target = routes.METRICS.at(projectId=project_id)
        return self._transport.call(MetricsResponse, target, params=query(scope=scope, id=id, **filters))

    def top_performers(
        self, project_id: str, *, metric: str, window: str = "30d", **filters: Unpack[TopPerformersFilters]
    ) -> TopPerformersResponse:
        target = routes.TOP_PERFORMERS.at(projectId=project_id)
        params = query(metric=metric, window=window, **filters)
        return self._transport.call(TopPerformersResponse, target, params=params)

    def list_ads_content(self, project_id: str, **filters: Unpack[AdsContentFilters]) -> AdsContentPage:
        target = routes.LIST_ADS_CONTENT.at(projectId=project_id)
        return self._transport.call(AdsContentPage, target, params=query(**filters))

    iter_ads_content = paginated(list_ads_content, routes.LIST_ADS_CONTENT)

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
        target = routes.PATCH_ADS_CONTENT.at(projectId=project_id, adsContentId=ads_content_id)
        return self._transport.call(AdsContentItem, target, body=body, idempotency_key=idempotency_key)

    def ads_metrics(
        self, project_id: str, *, since: datetime, until: datetime, **filters: Unpack[AdsMetricsFilters]
    ) -> AdsMetricsResponse:
        target = routes.ADS_METRICS.at(projectId=project_id)
        params = query(since=since, until=until, **filters)
        return self._transport.call(AdsMetricsResponse, target, params=params)

    def list_recommendations(
        self, project_id: str, **filters: Unpack[RecommendationFilters]
    ) -> RecommendationPage:
        target = routes.LIST_RECOMMENDATIONS.at(projectId=project_id)
        return self._transport.call(RecommendationPage, target, params=query(**filters))

    iter_recommendations = paginated(list_recommendations, routes.LIST_RECOMMENDATIONS)

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
        target = routes.CLONE_FROM_POST.at(containerId=container_id)
        return self._transport.call(JobEnvelope, target, body=body, idempotency_key=idempotency_key)

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
        target = routes.GENERATE_CONTENT.at(projectId=project_id)
        return self._transport.call(JobEnvelope, target, body=body, idempotency_key=idempotency_key)

    def get_content(self, container_id: str) -> Container:
        return self._transport.call(Container, routes.GET_CONTENT.at(containerId=container_id))

    def get_job(self, job_id: str, *, etag: str | None = None) -> JobPoll:
        """Poll a job; with `etag`, an unchanged job costs a 304 and comes back as `not_modified`."""
        response = self._transport.send(
            routes.GET_JOB.at(jobId=job_id),
            headers={"If-None-Match": etag} if etag else None,
            accept_not_modified=True,
        )
        new_etag = response.headers.get("etag") or etag
        if response.status_code == 304:
            return JobPoll(job=None, etag=new_etag, not_modified=True)
        job = self._transport.parse(Job, routes.GET_JOB, response)
        return JobPoll(job=job, etag=new_etag, not_modified=False)

    def cancel_job(self, job_id: str, *, idempotency_key: str | None) -> JobCancelResult:
        target = routes.CANCEL_JOB.at(jobId=job_id)
        return self._transport.call(JobCancelResult, target, idempotency_key=idempotency_key)

    # ---- webhook endpoints (issue 11) ------------------------------------------------------------

    def list_webhook_endpoints(self, *, cursor: str | None = None) -> WebhookEndpointPage:
        target = routes.LIST_WEBHOOK_ENDPOINTS.at()
        return self._transport.call(WebhookEndpointPage, target, params=query(cursor=cursor))

    iter_webhook_endpoints = paginated(list_webhook_endpoints, routes.LIST_WEBHOOK_ENDPOINTS)

    def create_webhook_endpoint(
        self, *, url: str, events: Sequence[str], description: str | None = None, idempotency_key: str | None
    ) -> CreatedWebhookEndpoint:
        """Register `url` for `events`; the answer carries the signing secret, shown this once."""
        body: dict[str, Any] = {"url": url, "events": list(events)}
        if description is not None:
            body["description"] = description
        target = routes.CREATE_WEBHOOK_ENDPOINT.at()
        return self._transport.call(
            CreatedWebhookEndpoint, target, body=body, idempotency_key=idempotency_key
        )

    def rotate_webhook_secret(self, endpoint_id: str, *, idempotency_key: str | None) -> RotatedWebhookSecret:
        """A new signing secret; the previous one keeps signing for 24 hours."""
        target = routes.ROTATE_WEBHOOK_SECRET.at(endpointId=endpoint_id)
        return self._transport.call(RotatedWebhookSecret, target, idempotency_key=idempotency_key)

    # ---- server-suggested actions ---------------------------------------------------------------

    def call_relative(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, idempotency_key: str | None
    ) -> Any:
        """Execute an approved recommendation's `suggestedAction` and return the decoded JSON answer.

        The pair must pass `agent.rules.actions.validate_suggested_action` (else UnsafeSuggestedAction,
        and nothing is sent); the path is only ever joined onto the configured base.
        """
        action = validate_suggested_action(method, path)
        target = routes.Target(routes.route_for(action.method, action.path), action.path)
        response = self._transport.send(
            target, body=dict(body) if body is not None else None, idempotency_key=idempotency_key
        )
        return self._transport.decode(target.route, response)
