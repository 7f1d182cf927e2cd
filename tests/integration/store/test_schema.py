"""The migrations and the models describe the same schema, and migrate both ways on both backends."""

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, create_engine, inspect, select
from sqlalchemy.exc import IntegrityError

from agent.store import customers, migrate
from agent.store.models import VOCABULARY_TABLES, Base, Decision


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


def _checks(inspector, table):
    return {
        check["name"]: " ".join(check["sqltext"].split()) for check in inspector.get_check_constraints(table)
    }


def test_every_check_in_the_models_is_in_the_migrated_database(database_url):
    """compare_metadata does not compare CHECKs: an enum value added without a migration is caught here."""
    engine = create_engine(database_url)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        migrated = _checks(inspector, table.name)
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                expected = " ".join(str(constraint.sqltext).split())
                name = str(constraint.name)
                assert name in migrated, f"{table.name}: CHECK {name} has no migration"
                # PostgreSQL rewrites `x IN ('a', 'b')` as `x = ANY (ARRAY[...])`: compare the values it lists.
                assert sorted(re.findall(r"'([^']*)'", migrated[name])) == sorted(
                    re.findall(r"'([^']*)'", expected)
                ), f"{table.name}: CHECK {name} differs from the model"
    engine.dispose()


def test_the_vocabulary_tables_hold_exactly_the_enums(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        for enum, model in VOCABULARY_TABLES.items():
            rows = set(conn.execute(select(model.value)).scalars())
            assert rows == {member.value for member in enum}, f"{model.__tablename__} needs a migration"
    engine.dispose()


def test_a_decision_outside_the_vocabulary_is_refused(db):
    with db.session() as session:
        customer = customers.add(session, layers_project_id="prj_v", name="Vocab", timezone="UTC").id
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(
            Decision(customer_id=customer, loop="publish_to_learn", action="clone", reason="felt_lucky")
        )
