"""ops views and the read-only ops role

Revision ID: b7e1c2d3a4f5
Revises: daf4c47baf75
Create Date: 2026-11-28 03:10:00
"""

from collections.abc import Sequence

from alembic import context, op

revision: str = "b7e1c2d3a4f5"
down_revision: str | None = "daf4c47baf75"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What ops read most: each decision with its customer's names and, for a clone, how it ended.
OPS_DECISIONS = """
CREATE VIEW ops_decisions AS
SELECT d.id, d.created_at, d.customer_id, c.name AS customer_name, c.external_id AS customer_external_id,
       c.layers_project_id, d.run_id, d.loop, d.action, d.reason, d.subject_type, d.subject_id,
       d.evidence, d.rule_version, d.actor, d.parent_id,
       cl.container_id AS clone_container_id, cl.status AS clone_status,
       cl.approval_status AS clone_approval_status, cl.job_id AS clone_job_id,
       cl.submitted_at AS clone_submitted_at, cl.finished_at AS clone_finished_at,
       cl.error_code AS clone_error_code
FROM decisions d
JOIN customers c ON c.id = d.customer_id
LEFT JOIN clones cl ON cl.decision_id = d.id
"""

OPS_CLONE_COUNTS = """
CREATE VIEW ops_clone_counts AS
SELECT cl.customer_id, c.name AS customer_name, cl.source_post_id,
       count(*) FILTER (WHERE cl.status IN ('pending', 'submitted', 'running', 'completed', 'timed_out')) AS clone_count,
       count(*) FILTER (WHERE cl.status IN ('failed', 'canceled')) AS uncounted,
       max(cl.created_at) AS last_cloned_at
FROM clones cl
JOIN customers c ON c.id = cl.customer_id
GROUP BY cl.customer_id, c.name, cl.source_post_id
"""

# Tables ops may read whole, and tables whose idempotency keys stay hidden (a key lets a caller replay
# a mutation at Layers, so it is treated as a secret).
OPEN_TABLES = ("customers", "runs", "decisions", "jobs", "recommendations", "organic_snapshots")
KEYED_TABLES = {
    "clones": (
        "id, customer_id, run_id, decision_id, source_post_id, slot, container_id, job_id, origin, mode, "
        "variations, status, approval_status, send_attempts, created_at, submitted_at, finished_at, "
        "error_code, error_message"
    ),
    "commissions": (
        "id, customer_id, run_id, decision_id, container_id, job_id, hook, hook_source_post_id, variant_count, "
        "status, send_attempts, created_at, submitted_at, finished_at, error_code, error_message"
    ),
    "approvals": (
        "decision_id, customer_id, kind, method, path, body, status, recommendation_id, created_at, "
        "decided_by, decided_at, note, executed_at, result"
    ),
}


def _ops_role() -> str:
    """The read-only ops role (setting OPS_ROLE), handed over by migrations/env.py when the migration runs."""
    return str(context.config.attributes.get("ops_role", "agent_ops"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(OPS_DECISIONS)
    op.execute(OPS_CLONE_COUNTS)
    role = _ops_role()
    # Only what is missing is done, so a login without CREATEROLE migrates once a DBA made the role
    # (`agent ops-role --print-sql`); ALTER ROLE would need CREATEROLE even when the setting is in place.
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN;
            END IF;
            IF NOT EXISTS (
                SELECT FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole, unnest(s.setconfig) c
                WHERE r.rolname = '{role}' AND s.setdatabase = 0
                  AND lower(c) IN ('default_transaction_read_only=on', 'default_transaction_read_only=true')
            ) THEN
                ALTER ROLE {role} SET default_transaction_read_only = on;
            END IF;
            IF NOT has_schema_privilege('{role}', 'public', 'USAGE') THEN
                GRANT USAGE ON SCHEMA public TO {role};
            END IF;
        END $$
        """
    )
    op.execute(f"GRANT SELECT ON ops_decisions, ops_clone_counts, {', '.join(OPEN_TABLES)} TO {role}")
    for table, columns in KEYED_TABLES.items():
        op.execute(f"GRANT SELECT ({columns}) ON {table} TO {role}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {_ops_role()}")
    for table in KEYED_TABLES:
        op.execute(f"REVOKE SELECT ({KEYED_TABLES[table]}) ON {table} FROM {_ops_role()}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {_ops_role()}")
    op.execute("DROP VIEW IF EXISTS ops_clone_counts")
    op.execute("DROP VIEW IF EXISTS ops_decisions")
