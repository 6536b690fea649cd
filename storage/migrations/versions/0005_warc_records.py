"""warc_records: each version's fetch as web-archive records, the raw page's one copy;
daemon_state.verify_*: the last sampled verify of housekeeping

``versions.raw_html_z`` goes: the raw page of every version that had one is
moved into a WARC ``resource`` record (its HTTP headers were never kept, so none
are made up), with the ``metadata`` record that links it to its version.
Downgrading puts the pages back into ``raw_html_z``.

Revision ID: 0005_warc_records
Revises: 0004_article_host
"""

from __future__ import annotations

import zlib
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage import warc

revision = "0005_warc_records"
down_revision = "0004_article_host"
branch_labels = None
depends_on = None

BATCH = 200

versions = sa.table(
    "versions",
    sa.column("id", sa.Integer),
    sa.column("article_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("fetched_at", sa.DateTime),
    sa.column("content_hash", sa.String),
    sa.column("text_sha1", sa.String),
    sa.column("final_url", sa.String),
    sa.column("raw_html_z", sa.LargeBinary),
)
articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("url", sa.String))
records = sa.table(
    "warc_records",
    sa.column("id", sa.Integer),
    sa.column("version_id", sa.Integer),
    sa.column("article_id", sa.Integer),
    sa.column("fetched_at", sa.DateTime),
    sa.column("record_id", sa.String),
    sa.column("payload_digest", sa.String),
    sa.column("warc_gz", sa.LargeBinary),
)


def _move_raw_pages(conn: sa.Connection) -> None:
    last = 0
    while True:
        rows = conn.execute(
            sa.select(versions, articles.c.url)
            .join(articles, articles.c.id == versions.c.article_id)
            .where(versions.c.raw_html_z.is_not(None), versions.c.id > last)
            .order_by(versions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        out: list[dict[str, Any]] = []
        for row in rows:
            article: Any = SimpleNamespace(id=row.article_id, url=row.url)
            version: Any = SimpleNamespace(
                seq=row.seq,
                fetched_at=row.fetched_at,
                content_hash=row.content_hash,
                text_sha1=row.text_sha1,
                final_url=row.final_url,
            )
            html = zlib.decompress(row.raw_html_z).decode("utf-8", errors="replace")
            built = warc.build(article=article, version=version, exchange=None, html=html)
            assert built is not None
            out.append(
                {
                    "version_id": row.id,
                    "article_id": row.article_id,
                    "fetched_at": row.fetched_at,
                    "record_id": built.record_id,
                    "payload_digest": built.payload_digest,
                    "warc_gz": built.data,
                }
            )
        conn.execute(records.insert(), out)
        last = rows[-1].id


def upgrade() -> None:
    op.create_table(
        "warc_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("payload_digest", sa.String(length=64), nullable=False),
        sa.Column("warc_gz", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id"),
    )
    op.create_index("ix_warc_records_article_id", "warc_records", ["article_id"])
    op.create_index("ix_warc_records_fetched", "warc_records", ["fetched_at", "id"])
    _move_raw_pages(op.get_bind())
    # Not in batch mode (see 0002_daemon): SQLite 3.35+ drops an unindexed column in place.
    op.drop_column("versions", "raw_html_z")
    op.add_column("daemon_state", sa.Column("verify_at", sa.DateTime(), nullable=True))
    op.add_column("daemon_state", sa.Column("verify_checked", sa.Integer(), nullable=True))
    op.add_column("daemon_state", sa.Column("verify_problems", sa.Integer(), nullable=True))
    op.add_column("daemon_state", sa.Column("verify_first_problem", sa.Text(), nullable=True))


def downgrade() -> None:
    for col in ("verify_first_problem", "verify_problems", "verify_checked", "verify_at"):
        op.drop_column("daemon_state", col)
    op.add_column("versions", sa.Column("raw_html_z", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(records.c.id, records.c.version_id, records.c.warc_gz)
            .where(records.c.id > last)
            .order_by(records.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            raw = warc.raw_page(row.warc_gz)
            if raw is not None:
                conn.execute(
                    versions.update().where(versions.c.id == row.version_id).values(raw_html_z=zlib.compress(raw.body, 3))
                )
        last = rows[-1].id
    op.drop_index("ix_warc_records_fetched", table_name="warc_records")
    op.drop_index("ix_warc_records_article_id", table_name="warc_records")
    op.drop_table("warc_records")
