"""publish and learn (issue 15): scheduled clones, their posts and verdicts

Revision ID: e5e6f7a8b9c0
Revises: e4d5f6a7b8c9
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

revision: str = "e5e6f7a8b9c0"
down_revision: str | None = "e4d5f6a7b8c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: filled in by the work named above."""


def downgrade() -> None:
    """Nothing yet: filled in by the work named above."""
