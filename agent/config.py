"""Every knob of the agent, typed and read once from the environment (and `.env`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.domain.redaction import API_KEY_SHAPE
from agent.notify.urls import NotifyRoute, build_routes, parse_channels
from agent.rules.health import HEALTH_RANGES, HealthThresholds
from agent.rules.notify import Route
from agent.rules.thresholds import THRESHOLD_RANGES, Range, Thresholds, field_default

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Window = Literal["7d", "30d", "90d"]


def _bounded(cls: type, ranges: Mapping[str, Range], name: str) -> Any:
    """A settings field whose default and range come from the rules' own dataclass (their one owner)."""
    bound = ranges[name]
    return Field(
        field_default(cls, name),
        gt=bound.lo if bound.lo_open else None,
        ge=None if bound.lo_open else bound.lo,
        le=bound.hi,
    )


def _threshold(name: str) -> Any:
    return _bounded(Thresholds, THRESHOLD_RANGES, name)


def _health(name: str) -> Any:
    return _bounded(HealthThresholds, HEALTH_RANGES, name)


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the setting."""


class Settings(BaseSettings):
    """The agent's configuration. Field names are the environment variable names, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    # Layers API
    layers_api_key: SecretStr | None = None
    layers_base_url: str = "https://api.layers.com"

    # Infrastructure. The defaults need no server: a SQLite file and an embedded broker.
    database_url: str = "sqlite:///./agent.db"
    redis_url: str | None = None

    # Safety switches
    kill_switch: bool = False  # true = no call that changes anything at Layers, for every customer

    # publish-to-learn thresholds (defaults and ranges: agent/rules/thresholds.py)
    min_views: int = _threshold("min_views")
    min_posts: int = _threshold("min_posts")
    breakout_multiple: float = _threshold("breakout_multiple")
    min_engagement: float = _threshold("min_engagement")
    max_clones_per_source: int = _threshold("max_clones_per_source")
    max_clones_per_run: int = _threshold("max_clones_per_run")
    top_n: int = _threshold("top_n")
    clone_mode: Literal["fork", "reimagine"] = "fork"
    clone_variations: int = Field(2, ge=1, le=10)
    top_performers_window: Window = "7d"
    top_performers_limit: int = Field(100, ge=1, le=100)

    # optimization thresholds
    spend_without_conversions_min: float = _threshold("spend_without_conversions_min")
    min_eligible_pool: int = _threshold("min_eligible_pool")
    commission_cooldown_days: int = _threshold("commission_cooldown_days")
    recommendation_act_confidence: float = _threshold("recommendation_act_confidence")
    recommendation_surface_confidence: float = _threshold("recommendation_surface_confidence")
    ads_metrics_window_days: int = Field(7, ge=1, le=90)
    commission_variant_count: int = Field(2, ge=1, le=5)
    weekly_review_weekday: str = "monday"
    weekly_review_window: Window = "7d"

    # Publish and learn (issue 15): approved clones go live, every clone gets a verdict, the next day learns.
    # Verdict and learning thresholds (defaults and ranges: agent/rules/thresholds.py)
    clones_underperform_after: int = _threshold("clones_underperform_after")
    outcome_min_views: int = _threshold("outcome_min_views")
    outcome_win_multiple: float = _threshold("outcome_win_multiple")
    hit_rate_window: int = _threshold("hit_rate_window")
    min_hit_rate: float = _threshold("min_hit_rate")
    clone_outcome_days: int = Field(7, ge=1, le=60)  # the window a published clone is judged on
    settle_delay_hours: float = Field(72.0, ge=0)  # conversions arrive late: judge only windows this old
    default_posting_at: time = time(18, 0)  # a customer's local posting slot unless set per customer
    publish_tick_s: float = Field(60.0, gt=0)  # beat: approvals, schedules, scheduled posts
    verdict_tick_s: float = Field(3600.0, gt=0)  # beat: clone verdicts
    approval_check_interval_s: int = Field(900, ge=1)  # backstop read of a container awaiting review
    # a tick's claim on a row; an unanswered schedule's resend wait
    publish_lease_s: float = Field(60.0, gt=0)

    # Jobs and polling (docs: start 2 s, x1.3, cap 10 s)
    job_timeout_s: int = Field(600, gt=0)
    job_poll_initial_s: float = Field(2.0, gt=0)
    job_poll_multiplier: float = Field(1.3, ge=1)
    job_poll_max_s: float = Field(10.0, gt=0)
    poller_tick_s: float = Field(2.0, gt=0)
    poller_batch_size: int = Field(100, ge=1)
    # A poller that never abandons a job (issue 11): the first poll at the median duration of recent jobs
    # of the kind; a job is timed out only by a poll after its deadline, then still reconciled for a while;
    # with webhooks arriving (one within WEBHOOK_FRESH_S) polls are only a backstop; polls of a claimed
    # batch run on POLLER_THREADS threads, on their reserved share of read-light
    poller_threads: int = Field(8, ge=1, le=64)
    job_poll_read_share: float = Field(0.2, ge=0, lt=1)
    job_reconcile_interval_s: float = Field(300.0, gt=0)
    job_reconcile_for_s: int = Field(86400, ge=0)
    job_backstop_poll_s: float = Field(120.0, gt=0)
    webhook_fresh_s: int = Field(600, ge=0)

    # HTTP client
    http_timeout_s: float = Field(10.0, gt=0)
    http_connect_timeout_s: float = Field(5.0, gt=0)
    http_max_attempts: int = Field(5, ge=1)
    http_deadline_s: float = Field(60.0, gt=0)
    retry_after_cap_s: float = Field(30.0, gt=0)

    # The shared Layers quota, per minute and per endpoint class (standard tier)
    rate_read_per_min: int = Field(120, ge=1)
    rate_write_per_min: int = Field(60, ge=1)
    rate_long_running_per_min: int = Field(20, ge=1)
    quota_max_wait_s: float = Field(1.0, ge=0)  # a short wait; beyond it the run goes back to the queue

    # Scheduling
    dispatch_interval_s: int = Field(300, ge=1)
    default_run_at: time = time(6, 0)
    sweep_interval_s: int = Field(60, ge=1)
    run_stale_after_s: int = Field(60, ge=3)  # the run lease, renewed by its worker every third of it
    task_max_attempts: int = Field(5, ge=1)

    # Celery
    visibility_timeout_s: int = Field(3600, ge=60)
    task_time_limit_s: int = Field(300, ge=1)

    # Health signals (`agent health`; defaults and ranges: agent/rules/health.py)
    health_max_job_failures_per_day: int = _health("max_job_failures_per_day")
    health_max_overrides_per_week: int = _health("max_overrides_per_week")
    health_score_drop_ratio: float = _health("score_drop_ratio")

    # Observability
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    metrics_port: int = Field(9100, ge=0, le=65535)

    # The ops experience (issue 13): the read-only PostgreSQL role the migrations grant SELECT to; give each
    # database on a shared cluster its own name
    ops_role: str = "agent_ops"

    # Test hook: SIGKILL the process at a named crash point (see agent.crashpoints)
    crash_at: str | None = None

    # Webhook ingestion (issue 11): the signing secrets `agent webhooks` accepts (comma-separated: the
    # old and the new one while a rotation overlaps), and how often beat sweeps the unprocessed events
    layers_webhook_secrets: SecretStr | None = None
    webhook_sweep_interval_s: float = Field(30.0, gt=0)

    # Notifications (issue 14): Apprise URLs with names (`ops=mailtos://…`, space-separated; a secret);
    # NOTIFY_ROUTES (JSON) says which channel gets which events of which customers, at once or in a daily
    # digest; beat runs the outbox sender and the health watch; a failing channel backs off, bounded
    notify_urls: SecretStr | None = None
    notify_routes: dict[str, NotifyRoute] = Field(default_factory=dict)
    notify_interval_s: float = Field(10.0, gt=0)
    notify_batch_size: int = Field(100, ge=1)
    notify_lease_s: float = Field(120.0, gt=0)
    notify_max_attempts: int = Field(8, ge=1)
    notify_retry_base_s: float = Field(30.0, gt=0)
    notify_retry_max_s: float = Field(3600.0, gt=0)
    health_watch_interval_s: float = Field(300.0, gt=0)

    # The web decision log (issue 14): read-only, as the ops role; basic auth unless bound to 127.0.0.1;
    # WEB_BASE_URL is where notifications link to
    ops_database_url: SecretStr | None = None
    web_basic_auth: SecretStr | None = None
    web_base_url: str = "http://127.0.0.1:8000"
    web_page_size: int = Field(50, ge=1, le=500)

    @field_validator("layers_api_key")
    @classmethod
    def _key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not API_KEY_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError("must look like lp_live_<id>_<secret> or lp_test_<id>_<secret>")
        return value

    @field_validator("layers_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://api.layers.com")
        return value.rstrip("/")

    @field_validator("ops_role")
    @classmethod
    def _role_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
            raise ValueError("must be a lower-case PostgreSQL role name: letters, digits and _ (at most 63)")
        return value

    @field_validator("weekly_review_weekday")
    @classmethod
    def _weekday(cls, value: str) -> str:
        if value.lower() not in WEEKDAYS:
            raise ValueError(f"must be one of {', '.join(WEEKDAYS)}")
        return value.lower()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("postgresql+psycopg://", "sqlite://")):
            raise ValueError("must be a postgresql:// or sqlite:// URL")
        return value

    @property
    def weekly_review_weekday_index(self) -> int:
        return WEEKDAYS.index(self.weekly_review_weekday)

    def thresholds(self) -> Thresholds:
        """The fleet-wide thresholds; a customer's overrides are applied on top (`Thresholds.with_overrides`)."""
        return Thresholds(**{name: getattr(self, name) for name in THRESHOLD_RANGES})

    def health_thresholds(self) -> HealthThresholds:
        return HealthThresholds(**{name: getattr(self, f"health_{name}") for name in HEALTH_RANGES})

    @field_validator("layers_webhook_secrets")
    @classmethod
    def _webhook_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _split_secrets(value):
            raise ValueError("must be one or more signing secrets (whsec_…), comma-separated")
        return value

    def webhook_secrets(self) -> tuple[SecretStr, ...]:
        """Every secret a delivery may be signed with, or a ConfigError naming LAYERS_WEBHOOK_SECRETS."""
        if self.layers_webhook_secrets is None:
            raise ConfigError(
                "LAYERS_WEBHOOK_SECRETS is not set (the signing secret `agent webhooks register` printed)"
            )
        return _split_secrets(self.layers_webhook_secrets)

    @field_validator("notify_urls")
    @classmethod
    def _notify_urls(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_channels(value)  # the error names the entry by position, never its text
        return value

    @field_validator("web_basic_auth")
    @classmethod
    def _basic_auth(cls, value: SecretStr | None) -> SecretStr | None:
        user, sep, password = (value.get_secret_value() if value else ":").partition(":")
        if value is not None and not (sep and user and password):
            raise ValueError("must be user:password")
        return value

    @field_validator("ops_database_url")
    @classmethod
    def _ops_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else SecretStr(cls._database_url(value.get_secret_value()))

    @field_validator("web_base_url")
    @classmethod
    def _web_base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://agent.example.com")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _routes_name_channels(self) -> Settings:
        self.notify_routing()
        return self

    def notify_channels(self) -> dict[str, SecretStr]:
        """The named Apprise URLs (each a secret) notifications go to; empty when NOTIFY_URLS is unset."""
        return parse_channels(self.notify_urls) if self.notify_urls is not None else {}

    def tier_rates(self) -> dict[str, int]:
        """The quota per minute of each endpoint class, as configured (`RATE_*_PER_MIN`)."""
        from agent.layers.routes import EndpointClass  # the client package imports this module

        return {
            EndpointClass.READ_LIGHT.value: self.rate_read_per_min,
            EndpointClass.WRITE_LIGHT.value: self.rate_write_per_min,
            EndpointClass.LONG_RUNNING.value: self.rate_long_running_per_min,
        }

    def notify_routing(self) -> tuple[Route, ...]:
        return build_routes(self.notify_channels(), self.notify_routes)

    def api_key(self) -> SecretStr:
        """The API key, or a ConfigError naming LAYERS_API_KEY when it is missing."""
        if self.layers_api_key is None:
            raise ConfigError("LAYERS_API_KEY is not set (expected lp_live_… or lp_test_…)")
        return self.layers_api_key


def _split_secrets(value: SecretStr) -> tuple[SecretStr, ...]:
    return tuple(SecretStr(part.strip()) for part in value.get_secret_value().split(",") if part.strip())


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a validation failure into a ConfigError that names each bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
