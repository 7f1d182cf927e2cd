"""Fault injection: what can go wrong between the client and Layers, drawn from a seeded RNG.

Every request draws the same number of random values in the same order whatever is enabled, so a
seed plus a request order always gives the same fault sequence. Faults that stop a request (reset,
5xx, 429) are decided before the mutation is applied and so never apply it; "answer late" applies
it once and only then waits.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

DRIFT_KINDS = ("extra_field", "enum_value")
DRIFT_FIELD = "sandboxDriftField"
_ENUM_KEYS = ("stage", "kind", "scoringPool", "sourceType", "approvalStatus")
_RATES = ("rate_429", "rate_5xx", "rate_reset", "rate_late", "rate_malformed", "rate_drift")
_WEBHOOK_RATES = ("rate_webhook_drop", "rate_webhook_duplicate", "rate_webhook_delay", "rate_webhook_reorder")


@dataclass(frozen=True)
class FaultConfig:
    """Per-run fault settings. Rates are probabilities per request in [0, 1]."""

    seed: int = 0
    latency_ms: int = 0
    jitter_ms: int = 0
    rate_429: float = 0.0
    retry_after_s: int = 2
    rate_5xx: float = 0.0
    statuses_5xx: tuple[int, ...] = (500, 502, 503)
    rate_reset: float = 0.0
    rate_late: float = 0.0
    late_delay_s: float = 12.0
    rate_malformed: float = 0.0
    rate_drift: float = 0.0
    drift_kinds: tuple[str, ...] = DRIFT_KINDS
    kill_switch: bool = False
    stall_jobs: bool = False
    path_pattern: str | None = None
    methods: tuple[str, ...] = field(default=())
    # webhook deliveries (agent/sandbox/webhooks.py): shares of events dropped, sent twice, held back
    # `webhook_delay_s`, or held until a later event went first; not restricted by path_pattern/methods
    rate_webhook_drop: float = 0.0
    rate_webhook_duplicate: float = 0.0
    rate_webhook_delay: float = 0.0
    rate_webhook_reorder: float = 0.0
    webhook_delay_s: float = 5.0

    def __post_init__(self) -> None:
        for name in (*_RATES, *_WEBHOOK_RATES):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.late_delay_s < 0 or self.webhook_delay_s < 0:
            raise ValueError("latency_ms, jitter_ms, late_delay_s and webhook_delay_s must not be negative")
        if self.retry_after_s < 1:
            raise ValueError("retry_after_s must be at least 1")
        if not self.statuses_5xx or any(not 500 <= s <= 599 for s in self.statuses_5xx):
            raise ValueError("statuses_5xx must be a non-empty list of 5xx codes")
        unknown = set(self.drift_kinds) - set(DRIFT_KINDS)
        if unknown or not self.drift_kinds:
            raise ValueError(f"drift_kinds must be a non-empty subset of {DRIFT_KINDS}")
        if self.path_pattern is not None:
            try:
                re.compile(self.path_pattern)
            except re.error as exc:
                raise ValueError(f"path_pattern is not a valid regex: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def merged(self, changes: dict[str, Any]) -> FaultConfig:
        """A copy with `changes` applied; keys may be snake_case or camelCase. Raises ValueError."""
        names = {f.name: f for f in fields(self)}
        camel = {_camel(name): name for name in names}
        updates: dict[str, Any] = {}
        for key, value in changes.items():
            name = key if key in names else camel.get(key)
            if name is None:
                raise ValueError(f"unknown fault setting {key!r}")
            if name in ("statuses_5xx", "drift_kinds", "methods") and isinstance(value, list):
                value = tuple(value)
            updates[name] = value
        return replace(self, **updates)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class FaultPlan:
    """What the injector decided for one request."""

    delay_s: float = 0.0
    reset: bool = False
    status_5xx: int | None = None
    reject_429: bool = False
    late: bool = False
    malformed: bool = False
    drift: tuple[str, ...] = ()
    drift_pick: float = 0.0

    @property
    def blocks(self) -> str | None:
        """The fault that stops the request before it is applied, if any."""
        if self.reset:
            return "reset"
        if self.status_5xx is not None:
            return f"http_{self.status_5xx}"
        if self.reject_429:
            return "http_429"
        return None


NO_FAULTS = FaultPlan()


class FaultInjector:
    """Turns a FaultConfig into per-request plans with a reproducible random sequence."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.configure(config)

    def configure(self, config: FaultConfig) -> None:
        """Install a config and restart its random sequence from `config.seed`."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self._pattern = re.compile(config.path_pattern) if config.path_pattern else None

    def _targets(self, method: str, path: str) -> bool:
        config = self.config
        if config.methods and method.upper() not in {m.upper() for m in config.methods}:
            return False
        return not (self._pattern and not self._pattern.search(path))

    def plan(self, method: str, path: str) -> FaultPlan:
        with self._lock:
            draws = [self._rng.random() for _ in range(10)]
            config = self.config
            if not self._targets(method, path):
                return NO_FAULTS
        jitter, u_reset, u_5xx, u_status, u_429, u_late, u_malformed, u_drift, u_kind, pick = draws
        is_get = method.upper() == "GET"
        drift: tuple[str, ...] = ()
        if u_drift < config.rate_drift:
            kinds = config.drift_kinds
            options = [kinds, *((kind,) for kind in kinds)] if len(kinds) > 1 else [kinds]
            drift = options[int(u_kind * len(options))]
        return FaultPlan(
            delay_s=(config.latency_ms + jitter * config.jitter_ms) / 1000.0,
            reset=u_reset < config.rate_reset,
            status_5xx=config.statuses_5xx[int(u_status * len(config.statuses_5xx))]
            if u_5xx < config.rate_5xx
            else None,
            reject_429=u_429 < config.rate_429,
            late=not is_get and u_late < config.rate_late,
            malformed=is_get and u_malformed < config.rate_malformed,
            drift=drift,
            drift_pick=pick,
        )


def malformed_body(body: bytes) -> bytes:
    """Cut a JSON document short: always invalid JSON, still looks like the real thing."""
    return body[: max(1, len(body) // 2)]


def _enum_slots(node: Any, out: list[tuple[dict[str, Any], str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and (
                key in _ENUM_KEYS
                or (key == "status" and ("approvalStatus" in node or "recommendationId" in node))
            ):
                out.append((node, key))
            else:
                _enum_slots(value, out)
    elif isinstance(node, list):
        for item in node:
            _enum_slots(item, out)


def drift_body(body: Any, kinds: tuple[str, ...], pick: float) -> Any:
    """A copy of a JSON body with an unknown field added and/or one enum value renamed `<value>_v2`."""
    body = json.loads(json.dumps(body))
    if not isinstance(body, dict):
        return body
    renamed = False
    if "enum_value" in kinds:
        slots: list[tuple[dict[str, Any], str]] = []
        _enum_slots(body, slots)
        if slots:
            node, key = slots[int(pick * len(slots)) % len(slots)]
            node[key] = f"{node[key]}_v2"
            renamed = True
    if "extra_field" in kinds or not renamed:
        marker = {"note": "unknown field added by sandbox schema drift"}
        body[DRIFT_FIELD] = marker
        for item in body.get("items", []) if isinstance(body.get("items"), list) else []:
            if isinstance(item, dict):
                item[DRIFT_FIELD] = marker
    return body
