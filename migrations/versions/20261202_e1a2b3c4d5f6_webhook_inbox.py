"""webhook ingestion (issue 11): the durable inbox of Layers events and the endpoints registered

Revision ID: e1a2b3c4d5f6
Revises: d4e6f8a0b2c4
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

revision: str = "e1a2b3c4d5f6"
down_revision: str | None = "d4e6f8a0b2c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: filled in by the work named above."""


def downgrade() -> None:
    """Nothing yet: filled in by the work named above."""
