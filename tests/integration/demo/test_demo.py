"""`agent demo` on the embedded defaults (a SQLite file, no broker server): end to end, twice."""

import logging

import pytest
import structlog
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from agent.cli import app
from agent.config import get_settings
from agent.store.models import Clone, Decision, Run


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'agent.db'}"
    for name in ("DATABASE_URL", "REDIS_URL", "LAYERS_API_KEY", "LAYERS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def tables(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("│")]


def counts(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        result = {
            model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Decision, Clone, Run)
        }
        result["completed_clones"] = conn.execute(
            select(func.count()).where(Clone.status == "completed", Clone.origin != "prior")
        ).scalar_one()
    engine.dispose()
    return result


def test_the_demo_runs_a_full_day_and_running_it_again_changes_nothing(embedded):
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--job-seconds", "0.25"])
    assert first.exit_code == 0, first.output
    assert "demo complete" in first.output
    after_first = counts(embedded)
    assert after_first["runs"] == 9 * 3  # every demo customer, all three loops
    assert after_first["completed_clones"] >= 2  # Acme's breakout and Bright Smile's refresh
    engine = create_engine(embedded)
    with engine.connect() as conn:
        reasons = set(conn.execute(select(Decision.reason)).scalars())
    engine.dispose()
    assert {
        "no_performance_data",
        "insufficient_data",
        "breakout",
        "below_engagement_floor",
        "clone_cap_reached",
        "spend_without_conversions",
        "thin_creative_pool",
        "changes_brand_configuration",
        "unsafe_suggested_action",
        "weekly_review",
    } <= reasons

    second = runner.invoke(app, ["demo", "--job-seconds", "0.25"])
    assert second.exit_code == 0, second.output
    assert tables(second.output) == tables(first.output)
    assert counts(embedded) == after_first
