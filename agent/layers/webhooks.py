"""Pydantic models of Layers webhooks (contract §22-23): the endpoint-management answers the client reads,
and the event payloads the agent is sent. Tolerant like every Layers model (`models.LayersModel`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import Field, SecretStr, ValidationError

from agent.layers.errors import ContractError
from agent.layers.models import JobError, LayersModel, Page, Timestamp

M = TypeVar("M", bound=LayersModel)


class WebhookEndpoint(LayersModel):
    """A registered endpoint (§22.1); its signing secret is never part of it."""

    id: str
    url: str
    events: list[str] = Field(default_factory=list)
    status: str | None = None
    description: str | None = None
    project_id: str | None = None
    created_at: Timestamp | None = None
    last_success_at: Timestamp | None = None
    last_failure_at: Timestamp | None = None
    consecutive_failure_count: int | None = None


class WebhookEndpointPage(Page[WebhookEndpoint]):
    pass


class CreatedWebhookEndpoint(LayersModel):
    """The create answer: the endpoint and its signing secret, shown this once (and never in a repr)."""

    endpoint: WebhookEndpoint
    signing_secret: SecretStr


class RotatedWebhookSecret(LayersModel):
    endpoint_id: str
    signing_secret: SecretStr
    previous_secret_expires_at: Timestamp | None = None


class WebhookEventEnvelope(LayersModel):
    """What every delivery's body is (§23.2); `id` equals the `X-Layers-Event-Id` header."""

    id: str | None = None
    type: str
    created_at: Timestamp | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    replay_of: str | None = None


class JobEventData(LayersModel):
    """`job.completed|failed|canceled`: the same terminal result a poll of the job returns (§23.4)."""

    job_id: str
    kind: str | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None

    @property
    def duration_s(self) -> float | None:
        """How long Layers says the job ran, when the event carries both ends."""
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


class ContentReviewData(LayersModel):
    """`content.approved|rejected`: the container (`id`) and who reviewed it, when and (rejected) why."""

    id: str
    project_id: str | None = None
    approved_at: Timestamp | None = None
    approved_by: str | None = None
    rejected_at: Timestamp | None = None
    rejected_by: str | None = None
    reason: str | None = None


def event_data(model: type[M], event_type: str, data: Mapping[str, Any]) -> M:
    """An event's `data` as its model; a ContractError naming the event and the field otherwise."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "data"
        problem = "is required" if first["type"] == "missing" else f"is invalid: {first['msg'].lower()}"
        raise ContractError(f"webhook {event_type}", f"data.{field}", problem) from None
