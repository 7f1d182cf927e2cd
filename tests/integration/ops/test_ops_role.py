"""The read-only ops role as a setting (OPS_ROLE), made by a DBA ahead of time so that a login without
CREATEROLE can migrate: the migrations only do what is missing, and grant SELECT to the role named."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.integration.cli.agent_process import agent


@dataclass(frozen=True)
class Cluster:
    admin: str  # a login with CREATEROLE, as a DBA would use
    migrator_url: str  # a login without CREATEROLE that owns the agent's (empty) database
    admin_in_db: str  # the DBA, in that database
    ops_role: str


def execute(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(query)).scalar()
    engine.dispose()
    return value


@pytest.fixture
def cluster(database_url: str) -> Iterator[Cluster]:
    suffix = uuid.uuid4().hex[:8]
    migrator, password, ops, db = f"mig_{suffix}", uuid.uuid4().hex, f"ops_{suffix}", f"agent_mig_{suffix}"
    admin = make_url(database_url)
    execute(
        database_url,
        f"CREATE ROLE {migrator} LOGIN PASSWORD '{password}' NOCREATEROLE NOSUPERUSER",
        f"GRANT {migrator} TO {admin.username}",
        f'CREATE DATABASE "{db}" OWNER {migrator}',
    )
    migrator_url = admin.set(username=migrator, password=password, database=db).render_as_string(False)
    try:
        yield Cluster(database_url, migrator_url, admin.set(database=db).render_as_string(False), ops)
    finally:
        execute(database_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f"DROP ROLE IF EXISTS {ops}")
        execute(database_url, f"DROP ROLE IF EXISTS {migrator}")


def test_print_sql_is_what_a_dba_runs(tmp_path: Path):
    ran = agent("ops-role", "--print-sql", cwd=tmp_path, env={"OPS_ROLE": "growth_staging_ops"})
    assert ran.code == 0
    assert "CREATE ROLE growth_staging_ops NOLOGIN;" in ran.stdout
    assert "ALTER ROLE growth_staging_ops SET default_transaction_read_only = on;" in ran.stdout
    assert "GRANT USAGE ON SCHEMA public TO growth_staging_ops;" in ran.stdout
    bad = agent("ops-role", "--print-sql", cwd=tmp_path, env={"OPS_ROLE": "Robert'); DROP TABLE x;--"})
    assert bad.code == 2
    assert "OPS_ROLE" in bad.stderr


def test_a_login_without_createrole_migrates_once_the_dba_made_the_role(cluster: Cluster, tmp_path: Path):
    env = {"DATABASE_URL": cluster.migrator_url, "OPS_ROLE": cluster.ops_role}
    refused = agent("migrate", cwd=tmp_path, env=env)
    assert refused.code == 2
    assert len(refused.err_lines) == 1
    assert "agent ops-role --print-sql" in refused.stderr
    assert "Traceback" not in refused.stderr

    script = agent("ops-role", "--print-sql", cwd=tmp_path, env={"OPS_ROLE": cluster.ops_role}).stdout
    execute(cluster.admin_in_db, script)  # the DBA, once
    migrated = agent("migrate", cwd=tmp_path, env=env)
    assert migrated.code == 0, migrated.stderr
    assert migrated.stdout == "database is up to date\n"
    role = cluster.ops_role
    assert (
        scalar(cluster.migrator_url, f"SELECT has_table_privilege('{role}', 'decisions', 'SELECT')") is True
    )
    assert (
        scalar(cluster.migrator_url, f"SELECT has_table_privilege('{role}', 'run_attempts', 'SELECT')")
        is True
    )
    assert (
        scalar(
            cluster.migrator_url,
            f"SELECT has_column_privilege('{role}', 'clones', 'idempotency_key', 'SELECT')",
        )
        is False
    )
    assert (
        scalar(cluster.migrator_url, "SELECT has_table_privilege('agent_ops', 'decisions', 'SELECT')")
        is False
    )
    again = agent("migrate", cwd=tmp_path, env=env)
    assert again.code == 0


def test_ops_role_makes_what_is_missing_and_only_that(cluster: Cluster, tmp_path: Path):
    env = {"DATABASE_URL": cluster.admin_in_db, "OPS_ROLE": cluster.ops_role}
    first = agent("ops-role", cwd=tmp_path, env=env)
    assert first.code == 0, first.stderr
    # PostgreSQL grants USAGE on public to every role already, so that step is skipped
    assert first.stdout == f"ops role {cluster.ops_role}: created; sessions read-only\n"
    second = agent("ops-role", cwd=tmp_path, env=env)
    assert second.stdout == f"ops role {cluster.ops_role}: already in place\n"
    sqlite = agent("ops-role", cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert sqlite.code == 2
    assert "PostgreSQL-only" in sqlite.stderr
