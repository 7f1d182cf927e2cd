"""fleet scale (issue 12): bulk customers, reads shared between loops, capacity

Revision ID: e3c4d5f6a7b8
Revises: e2b3c4d5f6a7
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

revision: str = "e3c4d5f6a7b8"
down_revision: str | None = "e2b3c4d5f6a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: filled in by the work named above."""


def downgrade() -> None:
    """Nothing yet: filled in by the work named above."""
