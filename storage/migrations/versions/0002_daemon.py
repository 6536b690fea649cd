"""daemon: source patterns and health, listed headlines, daemon state

Revision ID: 0002_daemon
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_daemon"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("allow", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("deny", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("overrides", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("next_run_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("articles_found", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("from_config", sa.String(length=1024), nullable=True))
        batch.add_column(sa.Column("edit_rate", sa.Float(), nullable=True))
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("listed_headline", sa.Text(), nullable=True))
        batch.add_column(sa.Column("listed_published_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_changed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "daemon_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("time_scale", sa.Float(), nullable=False, server_default="1"),
        sa.Column("cycles", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_cycle_at", sa.DateTime(), nullable=True),
        sa.Column("last_cycle_seconds", sa.Float(), nullable=True),
        sa.Column("last_cycle_pages", sa.Integer(), nullable=True),
        sa.Column("job_errors", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_job_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("daemon_state")
    # Not in batch mode: on SQLite that recreates the table, and with foreign keys on,
    # dropping the old `articles` cascades to every version, check and change.
    # These columns carry no index or constraint, so SQLite 3.35+ drops them in place.
    for col in ("last_changed_at", "listed_published_at", "listed_headline"):
        op.drop_column("articles", col)
    for col in ("edit_rate", "from_config", "articles_found", "next_run_at", "overrides", "deny", "allow"):
        op.drop_column("sources", col)
