"""The read-only ops role (setting OPS_ROLE) on PostgreSQL: the SQL a DBA runs to create it, and the same
steps run from `agent ops-role`, each only when it is missing.

Creating a role and setting its `default_transaction_read_only` need CREATEROLE; granting USAGE on the
schema needs its owner. `agent migrate` then grants SELECT on every table it creates, which only needs
the tables' owner, so the login that migrates needs no CREATEROLE once the role exists.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

READ_ONLY_SETTINGS = ("default_transaction_read_only=on", "default_transaction_read_only=true")


def setup_sql(name: str) -> str:
    """Idempotent SQL for a DBA: create the role, make its sessions read-only, let it see the schema."""
    return f"""-- The growth agent's read-only ops role. Run as a role with CREATEROLE, in the agent's database.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE {name} NOLOGIN;
    END IF;
END $$;
ALTER ROLE {name} SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public TO {name};
-- Then `agent migrate` (as the owner of the tables) grants {name} SELECT on the tables and views.
-- A person logs in with their own role, in this one:
--   CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE {name};
--   ALTER ROLE alice SET default_transaction_read_only = on;"""


def ensure(engine: Engine, *, name: str) -> list[str]:
    """Do the steps of `setup_sql` that are not done yet (PostgreSQL only); returns what was done."""
    done: list[str] = []
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name}).first() is None:
            conn.execute(text(f"CREATE ROLE {name} NOLOGIN"))
            done.append("created")
        configured = conn.execute(
            text(
                "SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole, unnest(s.setconfig) c "
                "WHERE r.rolname = :name AND s.setdatabase = 0 AND lower(c) = ANY(:values)"
            ),
            {"name": name, "values": list(READ_ONLY_SETTINGS)},
        ).first()
        if configured is None:
            conn.execute(text(f"ALTER ROLE {name} SET default_transaction_read_only = on"))
            done.append("sessions read-only")
        usage = conn.execute(
            text("SELECT has_schema_privilege(:name, 'public', 'USAGE')"), {"name": name}
        ).scalar_one()
        if not usage:
            conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {name}"))
            done.append("may use the schema")
    return done
