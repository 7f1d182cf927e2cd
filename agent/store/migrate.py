"""Run Alembic migrations from code (the CLI, the demo, the tests and the compose `migrate` service)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

# The repository root in a checkout; the working directory in the Docker image (/app).
ALEMBIC_INI_CANDIDATES = (Path(__file__).resolve().parents[2] / "alembic.ini", Path.cwd() / "alembic.ini")


def alembic_ini() -> Path:
    for candidate in ALEMBIC_INI_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("alembic.ini not found next to the package or in the working directory")


def alembic_config(database_url: str, ops_role: str | None = None) -> Config:
    """The migrations' configuration; without `ops_role` they read the OPS_ROLE setting."""
    config = Config(str(alembic_ini()))
    config.attributes["database_url"] = database_url
    if ops_role is not None:
        config.attributes["ops_role"] = ops_role
    return config


def upgrade(database_url: str, revision: str = "head", *, ops_role: str | None = None) -> None:
    command.upgrade(alembic_config(database_url, ops_role), revision)


def downgrade(database_url: str, revision: str = "base", *, ops_role: str | None = None) -> None:
    command.downgrade(alembic_config(database_url, ops_role), revision)
