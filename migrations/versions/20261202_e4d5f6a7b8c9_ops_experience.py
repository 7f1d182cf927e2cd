"""the ops experience (issue 13): configuration audit, the ops role as a setting

Revision ID: e4d5f6a7b8c9
Revises: e3c4d5f6a7b8
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

revision: str = "e4d5f6a7b8c9"
down_revision: str | None = "e3c4d5f6a7b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: filled in by the work named above."""


def downgrade() -> None:
    """Nothing yet: filled in by the work named above."""
