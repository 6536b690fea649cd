"""articles.pending_hash and articles.pending_since: a drastic change held for a confirmation fetch

Revision ID: 0007_pending_confirmation
Revises: 0006_render_gone_at
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_pending_confirmation"
down_revision = "0006_render_gone_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("pending_hash", sa.String(length=64), nullable=True))
    op.add_column("articles", sa.Column("pending_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Not in batch mode (see 0002_daemon): SQLite 3.35+ drops an unindexed column in place.
    op.drop_column("articles", "pending_since")
    op.drop_column("articles", "pending_hash")
