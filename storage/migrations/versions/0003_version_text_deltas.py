"""version text as reverse deltas: full copies only for the latest and every 32nd;
articles.region_key, the main-region fingerprint that lets an unchanged page skip extraction

Merges the two 0002 heads. Existing texts are re-encoded article by article
(storage/versiontext.py) and every rebuild is verified before ``text`` goes.

Revision ID: 0003_text_deltas
Revises: 0002_daemon, 0002_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage import versiontext

revision = "0003_text_deltas"
down_revision = ("0002_daemon", "0002_review")
branch_labels = None
depends_on = None

versions = sa.table(
    "versions",
    sa.column("id", sa.Integer),
    sa.column("article_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("text_z", sa.LargeBinary),
    sa.column("text_delta", sa.LargeBinary),
    sa.column("text_sha1", sa.String),
)


def _encode(conn: sa.Connection, rows: list[sa.Row]) -> None:
    """One article's versions, ascending: store them the new way, verified."""
    stored = []
    for i, row in enumerate(rows):
        text_z = delta = None
        newer = rows[i + 1].text if i + 1 < len(rows) else None
        if newer is None or versiontext.is_keyframe(row.seq) or row.seq + 1 != rows[i + 1].seq:
            text_z = versiontext.compress(row.text)
        else:
            delta = versiontext.make_delta(newer, row.text)
            full = versiontext.compress(row.text)
            if len(delta) >= len(full):
                text_z, delta = full, None
        stored.append(versiontext.Stored(row.seq, text_z, delta, versiontext.sha1(row.text)))
    rebuilt = versiontext.rebuild(stored) if stored[-1].text_z is not None else {}
    for row, s in zip(rows, stored, strict=True):
        if s.text_z is None and rebuilt.get(row.seq) != row.text:
            raise versiontext.CorruptText(f"article {row.article_id} version {row.seq} does not rebuild")
        conn.execute(
            versions.update()
            .where(versions.c.id == row.id)
            .values(text_z=s.text_z, text_delta=s.text_delta, text_sha1=s.text_sha1)
        )


def upgrade() -> None:
    # "Newest changes first" sorts by (detected_at, id): one index serves it without a sort.
    op.drop_index("ix_changes_detected", table_name="changes")
    op.create_index("ix_changes_detected_id", "changes", ["detected_at", "id"])
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("region_key", sa.String(length=1024), nullable=True))
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("text_z", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("text_delta", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("text_sha1", sa.String(length=40), nullable=True))
    conn = op.get_bind()
    query = sa.select(versions.c.id, versions.c.article_id, versions.c.seq, versions.c.text).order_by(
        versions.c.article_id, versions.c.seq
    )
    article: list[sa.Row] = []
    for row in conn.execute(query).all():
        if article and article[-1].article_id != row.article_id:
            _encode(conn, article)
            article = []
        article.append(row)
    if article:
        _encode(conn, article)
    with op.batch_alter_table("versions") as batch:
        batch.alter_column("text_sha1", existing_type=sa.String(length=40), nullable=False)
        batch.drop_column("text")


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
    conn = op.get_bind()
    query = sa.select(
        versions.c.id, versions.c.article_id, versions.c.seq, versions.c.text_z, versions.c.text_delta,
        versions.c.text_sha1,
    ).order_by(versions.c.article_id, versions.c.seq)
    by_article: dict[int, list[sa.Row]] = {}
    for row in conn.execute(query).all():
        by_article.setdefault(row.article_id, []).append(row)
    for rows in by_article.values():
        texts = versiontext.rebuild([versiontext.Stored(r.seq, r.text_z, r.text_delta, r.text_sha1) for r in rows])
        for r in rows:
            conn.execute(versions.update().where(versions.c.id == r.id).values(text=texts[r.seq]))
    with op.batch_alter_table("versions") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch.drop_column("text_sha1")
        batch.drop_column("text_delta")
        batch.drop_column("text_z")
    # Not in batch mode: on SQLite that recreates `articles`, and with foreign keys
    # on, dropping the old table cascades to every version, check and change.
    # SQLite 3.35+ drops a column in place.
    op.drop_column("articles", "region_key")
    op.drop_index("ix_changes_detected_id", table_name="changes")
    op.create_index("ix_changes_detected", "changes", ["detected_at"])
