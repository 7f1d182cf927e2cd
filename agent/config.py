"""Every knob of the agent, typed and read once from the environment (and `.env`)."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

API_KEY_PATTERN = re.compile(r"^lp_(live|test)_[A-Za-z0-9]+_[A-Za-z0-9_-]+$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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

    # publish-to-learn thresholds (docs: guide-publish-to-learn, guide-agent-workflow)
    min_views: int = Field(50, ge=0)
    min_posts: int = Field(5, ge=1)
    breakout_multiple: float = Field(2.0, gt=0)
    min_engagement: float = Field(0.04, ge=0)
    max_clones_per_source: int = Field(5, ge=1, le=5)  # the database enforces 5
    max_clones_per_run: int = Field(1, ge=0)
    clone_mode: Literal["fork", "reimagine"] = "fork"
    clone_variations: int = Field(2, ge=1, le=10)
    top_performers_window: Literal["7d", "30d", "90d"] = "7d"
    top_performers_limit: int = Field(100, ge=1, le=100)

    # optimization thresholds
    spend_without_conversions_min: float = Field(50.0, ge=0)
    ads_metrics_window_days: int = Field(7, ge=1, le=90)
    min_eligible_pool: int = Field(3, ge=0)
    commission_cooldown_days: int = Field(7, ge=0)
    commission_variant_count: int = Field(2, ge=1, le=5)
    recommendation_act_confidence: float = Field(0.7, ge=0, le=1)
    recommendation_surface_confidence: float = Field(0.5, ge=0, le=1)
    weekly_review_weekday: str = "monday"

    # Jobs and polling (docs: start 2 s, x1.3, cap 10 s)
    job_timeout_s: int = Field(600, gt=0)
    job_poll_initial_s: float = Field(2.0, gt=0)
    job_poll_multiplier: float = Field(1.3, ge=1)
    job_poll_max_s: float = Field(10.0, gt=0)
    poller_tick_s: float = Field(2.0, gt=0)
    poller_batch_size: int = Field(100, ge=1)

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
    quota_max_wait_s: float = Field(5.0, ge=0)

    # Scheduling
    dispatch_interval_s: int = Field(300, ge=1)
    default_run_at: time = time(6, 0)
    sweep_interval_s: int = Field(60, ge=1)
    run_stale_after_s: int = Field(900, ge=1)
    task_max_attempts: int = Field(5, ge=1)

    # Celery
    visibility_timeout_s: int = Field(3600, ge=60)
    task_time_limit_s: int = Field(300, ge=1)

    # Health signals (`agent health`)
    health_max_job_failures_per_day: int = Field(3, ge=0)
    health_max_overrides_per_week: int = Field(3, ge=0)
    health_score_drop_ratio: float = Field(0.2, gt=0, le=1)

    # Observability
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    metrics_port: int = Field(9100, ge=0, le=65535)

    # Test hook: SIGKILL the process at a named crash point (see agent.crashpoints)
    crash_at: str | None = None

    @field_validator("layers_api_key")
    @classmethod
    def _key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not API_KEY_PATTERN.match(value.get_secret_value()):
            raise ValueError("must look like lp_live_<id>_<secret> or lp_test_<id>_<secret>")
        return value

    @field_validator("layers_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://api.layers.com")
        return value.rstrip("/")

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

    def api_key(self) -> SecretStr:
        """The API key, or a ConfigError naming LAYERS_API_KEY when it is missing."""
        if self.layers_api_key is None:
            raise ConfigError("LAYERS_API_KEY is not set (expected lp_live_… or lp_test_…)")
        return self.layers_api_key


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation failure into a ConfigError that names each bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
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
