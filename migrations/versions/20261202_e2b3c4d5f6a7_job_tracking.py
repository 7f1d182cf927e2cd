"""job tracking and recovery (issues 11, 12): a poller that never abandons a job, lost-message detection, hand-off between loops

Revision ID: e2b3c4d5f6a7
Revises: e1a2b3c4d5f6
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

revision: str = "e2b3c4d5f6a7"
down_revision: str | None = "e1a2b3c4d5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: filled in by the work named above."""


def downgrade() -> None:
    """Nothing yet: filled in by the work named above."""
