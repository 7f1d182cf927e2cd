"""notifications and the web decision log (issue 14): the notification outbox

Revision ID: e6f7a8b9c0d1
Revises: e5e6f7a8b9c0
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

revision: str = "e6f7a8b9c0d1"
down_revision: str | None = "e5e6f7a8b9c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: filled in by the work named above."""


def downgrade() -> None:
    """Nothing yet: filled in by the work named above."""
