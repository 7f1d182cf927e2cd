"""The `agent_ops` role: ops read the decision table and its neighbours, change nothing, and never see an
idempotency key (one would let them replay a mutation at Layers).

A login role made for this test (a member of the NOLOGIN `agent_ops`) connects to the session database.
Writes and DDL must fail on privileges, not on a read-only transaction that a user can turn off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from agent.store.models import Approval, Base, Clone, Commission, Customer, Decision, Publication, Run
from tests.integration.ops.story import ACME_LATTE, HARBOR_UNBOXING

KEYED = ("clones", "commissions", "approvals", "publications")  # publications: issue 15
SECRET_COLUMNS = {"idempotency_key"}


@pytest.fixture
def ops(database_url: str, story) -> Iterator[psycopg.Connection]:
    """A connection as a fresh login role that holds only agent_ops' rights."""
    role, password = f"ops_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    owner = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE agent_ops"))
    url = make_url(database_url).set(drivername="postgresql", username=role, password=password)
    try:
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
            yield conn
    finally:
        # it owns nothing and was granted nothing itself (DROP ROLE would refuse otherwise)
        with owner.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


def scalar(conn: psycopg.Connection, sql: str) -> object:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def owner_count(db, model) -> int:
    with db.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_ops_reads_the_decision_table_and_the_views(ops, db, story):
    assert scalar(ops, "SELECT count(*) FROM decisions") == owner_count(db, Decision) == 12
    assert scalar(ops, "SELECT count(*) FROM customers") == owner_count(db, Customer) == 3
    assert scalar(ops, "SELECT count(*) FROM runs") == owner_count(db, Run) == 3
    row = ops.execute(
        "SELECT customer_name, customer_external_id, action, clone_status, clone_approval_status "
        "FROM ops_decisions WHERE id = %s",
        (story.acme_clone,),
    ).fetchone()
    assert row == ("Acme Coffee", "crm-0042", "clone", "completed", "pending")
    counts = dict(
        ops.execute(
            "SELECT source_post_id, clone_count FROM ops_clone_counts ORDER BY source_post_id"
        ).fetchall()
    )
    assert counts == {ACME_LATTE: 2, HARBOR_UNBOXING: 5}
    for table in ("jobs", "recommendations", "organic_snapshots"):
        ops.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names


def test_the_views_expose_no_idempotency_key(ops, story):
    for view in ("ops_decisions", "ops_clone_counts"):
        cursor = ops.execute(f"SELECT * FROM {view} LIMIT 1")  # noqa: S608 - fixed view names
        assert cursor.description is not None
        assert not [c.name for c in cursor.description if "idempotency" in c.name or "dedupe" in c.name]


def test_ops_reads_the_non_secret_columns_of_keyed_tables(ops, db, story):
    assert scalar(ops, "SELECT count(*) FROM clones") == owner_count(db, Clone) == 8
    failed = ops.execute(
        "SELECT source_post_id, status, error_code, container_id, loop FROM clones WHERE status = 'failed'"
    ).fetchall()
    assert [row[:3] for row in failed] == [(HARBOR_UNBOXING, "failed", "SOURCE_UNAVAILABLE")]
    assert [row[4] for row in failed] == ["publish_to_learn"]  # the loop column is granted (c3d9e5f7a1b2)
    approvals = ops.execute(
        "SELECT decision_id, status, decided_by FROM approvals ORDER BY decision_id"
    ).fetchall()
    assert approvals == [
        (story.northwind_pending, "pending", None),
        (story.northwind_executed, "executed", "maria@northwind.example"),
    ]
    ops.execute("SELECT id, loop, hook, status FROM commissions")


@pytest.mark.parametrize("table", [t.name for t in Base.metadata.sorted_tables if t.name not in KEYED])
def test_ops_reads_every_other_table_whole(ops, table: str):
    """Every table the models define, keyed ones aside, is open to ops (a new one needs its grant)."""
    ops.execute(f"SELECT * FROM {table} LIMIT 0")  # noqa: S608 - names from the models


@pytest.mark.parametrize(
    "model", [Clone, Commission, Approval, Publication], ids=lambda model: model.__tablename__
)
def test_ops_reads_every_column_of_a_keyed_table_but_its_key(ops, model: type[Base]):
    """Granted column by column: a column added later and not granted would be missing here."""
    table = model.__table__
    readable = [column.name for column in table.columns if column.name not in SECRET_COLUMNS]
    ops.execute(f"SELECT {', '.join(readable)} FROM {table.name}")  # noqa: S608 - names from the models
    granted = {
        row[0]
        for row in ops.execute(
            "SELECT column_name FROM information_schema.column_privileges "
            "WHERE table_name = %s AND privilege_type = 'SELECT' AND grantee = 'agent_ops'",
            (table.name,),
        )
    }
    assert granted == set(readable)


@pytest.mark.parametrize("table", KEYED)
@pytest.mark.parametrize("columns", ["idempotency_key", "*", "id, idempotency_key"])
def test_idempotency_keys_are_out_of_reach(ops, table, columns):
    if table == "approvals" and columns.startswith("id,"):
        columns = "decision_id, idempotency_key"
    with pytest.raises(errors.InsufficientPrivilege, match=f"permission denied for table {table}"):
        ops.execute(f"SELECT {columns} FROM {table}")  # noqa: S608 - fixed names


def test_a_key_cannot_be_probed_through_a_filter_either(ops, story):
    with pytest.raises(errors.InsufficientPrivilege):
        ops.execute("SELECT id FROM clones WHERE idempotency_key LIKE 'a%'")
    with pytest.raises(errors.InsufficientPrivilege):
        ops.execute("SELECT count(*) FROM approvals GROUP BY idempotency_key")


WRITES = [
    "INSERT INTO customers (layers_project_id, name, timezone) VALUES ('prj_x', 'Globex', 'UTC')",
    "INSERT INTO decisions (customer_id, loop, action, reason) "
    "VALUES (1, 'optimization', 'flag', 'spend_without_conversions')",
    "UPDATE decisions SET actor = 'ops' WHERE id = 1",
    "DELETE FROM decisions",
    "UPDATE customers SET enabled = false",
    "DELETE FROM customers",
    "UPDATE runs SET status = 'failed'",
    "UPDATE clones SET status = 'canceled'",
    "UPDATE clones SET loop = 'optimization'",
    "DELETE FROM clones",
    "UPDATE approvals SET status = 'approved' WHERE status = 'pending'",
    "DELETE FROM approvals",
    "UPDATE jobs SET status = 'failed'",
    "UPDATE organic_snapshots SET posts_published_14d = 0",
    "INSERT INTO recommendations (customer_id, recommendation_id, kind, subject_id, confidence) "
    "VALUES (1, 'r', 'k', 's', 1)",
    "UPDATE commissions SET status = 'canceled'",
    "UPDATE commissions SET loop = 'publish_to_learn'",
    "TRUNCATE decisions",
    "SELECT nextval('decisions_id_seq')",
]

DDL = [
    "CREATE TABLE ops_notes (id int)",
    "DROP TABLE decisions",
    "ALTER TABLE decisions DISABLE TRIGGER ALL",
    "ALTER TABLE clones DROP CONSTRAINT ck_clones_slot_range",
    "CREATE INDEX ix_ops ON decisions (actor)",
    "DROP VIEW ops_decisions",
    "CREATE OR REPLACE VIEW ops_clone_counts AS SELECT 1",
    "GRANT SELECT ON clones TO agent_ops",
    "CREATE FUNCTION ops_f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
]


@pytest.mark.parametrize("sql", WRITES + DDL)
def test_ops_changes_nothing(ops, db, story, sql):
    # in an explicit read-write transaction: the privileges, not the transaction mode, must refuse it
    with ops.transaction(force_rollback=True):
        ops.execute("SET TRANSACTION READ WRITE")
        assert scalar(ops, "SHOW transaction_read_only") == "off"
        with pytest.raises(errors.InsufficientPrivilege):
            ops.execute(sql)
    assert owner_count(db, Decision) == 12
    assert owner_count(db, Customer) == 3
