"""The migrations and the models describe the same schema, and migrate both ways on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from agent.store import migrate
from agent.store.models import Base


def test_models_and_migrations_agree(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_postgres_downgrades_to_nothing_and_back(database_url):
    migrate.downgrade(database_url, "base")
    engine = create_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url)
    assert {"customers", "runs", "decisions", "clones", "jobs"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_migrates_both_ways(tmp_path):
    url = f"sqlite:///{tmp_path / 'agent.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    assert "decisions" in inspect(engine).get_table_names()
    migrate.downgrade(url, "base")
    assert "decisions" not in inspect(engine).get_table_names()
    engine.dispose()
