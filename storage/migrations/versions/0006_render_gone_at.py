"""sources.render (fetch a source's pages through a headless browser),
sources.found_* (what the search of a kind "auto" source chose) and
articles.gone_at (when an article went gone: its slow recheck ladder starts there)

Revision ID: 0006_render_gone_at
Revises: 0005_warc_records
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_render_gone_at"
down_revision = "0005_warc_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("render", sa.String(length=16), nullable=True))
    op.add_column("sources", sa.Column("found_url", sa.String(length=2048), nullable=True))
    op.add_column("sources", sa.Column("found_kind", sa.String(length=16), nullable=True))
    op.add_column("sources", sa.Column("found_why", sa.Text(), nullable=True))
    op.add_column("articles", sa.Column("gone_at", sa.DateTime(), nullable=True))
    # Retention deletes old checks across every article: by time alone, without a scan.
    op.create_index("ix_checks_checked_at", "checks", ["checked_at"])


def downgrade() -> None:
    op.drop_index("ix_checks_checked_at", table_name="checks")
    # Not in batch mode (see 0002_daemon): SQLite 3.35+ drops an unindexed column in place.
    op.drop_column("articles", "gone_at")
    for column in ("found_why", "found_kind", "found_url", "render"):
        op.drop_column("sources", column)
