"""Version texts stored as reverse deltas: every version reads back exactly, or not at all."""

from __future__ import annotations

import datetime as dt
import zlib

import pytest
from alembic import command
from sqlalchemy import text as sql

from storage import queries, versiontext
from storage.db import alembic_config, get_engine, open_database, session_scope
from storage.models import Article, Version


def _texts(n: int) -> list[str]:
    base = "\n".join(f"Paragraph {p}: the toll rose to {p * 1000:,} people, officials said." for p in range(40))
    return [base.replace("20,000", f"{20000 + i:,}").replace("officials", f"officials ({i})", 1) for i in range(n)]


def test_pure_round_trip_over_keyframes() -> None:
    texts = _texts(2 * versiontext.KEYFRAME_EVERY + 5)
    rows = []
    for seq, text in enumerate(texts, start=1):
        last = seq == len(texts)
        full = last or versiontext.is_keyframe(seq)
        rows.append(
            versiontext.Stored(
                seq,
                versiontext.compress(text) if full else None,
                None if full else versiontext.make_delta(texts[seq], text),
                versiontext.sha1(text),
            )
        )
    assert versiontext.rebuild(rows) == dict(enumerate(texts, start=1))
    chain = versiontext.chain_to(rows, 3)
    assert [r.seq for r in chain] == list(range(3, versiontext.KEYFRAME_EVERY + 1))


def test_a_wrong_rebuild_raises_instead_of_returning_a_wrong_text() -> None:
    old, new = "The toll is 20,000.", "The toll is 20,057."
    bad = versiontext.Stored(1, None, versiontext.make_delta(new, old), versiontext.sha1("something else"))
    top = versiontext.Stored(2, versiontext.compress(new), None, versiontext.sha1(new))
    with pytest.raises(versiontext.CorruptText):
        versiontext.rebuild([bad, top])
    with pytest.raises(versiontext.CorruptText):
        versiontext.rebuild([versiontext.Stored(1, None, b"d=3", versiontext.sha1(old))])
    # Bytes that are not zlib, not UTF-8 or not a delta at all: the same error, never zlib's or the codec's.
    for unreadable in (
        [versiontext.Stored(2, b"garbage", None, versiontext.sha1(new))],
        [versiontext.Stored(2, zlib.compress(b"\xff\xfe"), None, versiontext.sha1(new))],
        [versiontext.Stored(1, None, b"+%zz", versiontext.sha1(old)), top],
    ):
        with pytest.raises(versiontext.CorruptText, match="version"):
            versiontext.rebuild(unreadable)


def _stored_chain(texts: list[str]) -> list[versiontext.Stored]:
    return [
        versiontext.Stored(
            seq,
            versiontext.compress(text) if seq == len(texts) else None,
            None if seq == len(texts) else versiontext.make_delta(texts[seq], text),
            versiontext.sha1(text),
        )
        for seq, text in enumerate(texts, start=1)
    ]


def test_characters_beyond_the_basic_plane_survive_every_step() -> None:
    # Delta lengths count UTF-16 units: an emoji is two of them. The fast path
    # slices by characters, so it must hand such texts to diff-match-patch.
    texts = [
        "The toll rose to 20,000 \U0001f622 today.\nSecond line.",
        "The toll rose to 20,057 today.\nSecond line.",  # the emoji goes
        "The toll rose to 20,057 today.\nSecond line \U0001f4f0 added.",  # another comes
        "Plain text, no emoji: 20,057.\nSecond line added.",
    ]
    rows = _stored_chain(texts)
    assert versiontext.rebuild(rows) == dict(enumerate(texts, start=1))
    assert versiontext.rebuild(rows, wanted={1}) == {1: texts[0]}


def test_only_wanted_texts_are_returned_and_each_is_verified() -> None:
    texts = _texts(6)
    rows = _stored_chain(texts)
    assert versiontext.rebuild(rows, wanted={2, 5}) == {2: texts[1], 5: texts[4]}
    # A corrupt delta on the way to version 1 is caught at version 1 even when
    # the version it belongs to is not wanted.
    wrong = versiontext.make_delta(texts[2], texts[1].replace("20,001", "20,999"))
    rows[1] = versiontext.Stored(2, None, wrong, rows[1].text_sha1)
    with pytest.raises(versiontext.CorruptText):
        versiontext.rebuild(rows, wanted={1})
    with pytest.raises(versiontext.CorruptText):
        versiontext.apply_delta("short", b"d=9")


def _add(session: object, article: Article, text: str) -> Version:
    return queries.add_version(
        session,  # type: ignore[arg-type]
        article,
        fetched_at=dt.datetime(2026, 1, 1),
        content_hash=versiontext.sha1(text),
        title="t",
        text=text,
        extractor="e",
        extractor_version="1",
    )


def test_every_version_reads_back_through_the_database(db_url: str) -> None:
    url = open_database(db_url)
    texts = _texts(2 * versiontext.KEYFRAME_EVERY + 8)
    with session_scope(url) as session:
        article, _ = queries.get_or_create_article(session, "http://127.0.0.1/t")
        article_id = article.id
    for text in texts:  # one transaction per version, as the crawl stores them
        with session_scope(url) as session:
            found = session.get(Article, article_id)
            assert found is not None
            _add(session, found, text)
    with session_scope(url) as session:
        stored = session.execute(
            sql("SELECT seq, text_z IS NOT NULL FROM versions WHERE article_id = :a ORDER BY seq"), {"a": article_id}
        ).all()
        full = [seq for seq, is_full in stored if is_full]
        assert full == [versiontext.KEYFRAME_EVERY, 2 * versiontext.KEYFRAME_EVERY, len(texts)]
    for seq in range(1, len(texts) + 1):  # each alone: its chain is read from the database, up to its keyframe
        with session_scope(url) as session:
            version = queries.get_version(session, article_id, seq)
            assert version is not None and version.text == texts[seq - 1]
    with session_scope(url) as session:
        assert [v.text for v in queries.versions_of(session, article_id)] == texts
        latest = queries.latest_version(session, article_id)
        assert latest is not None and latest.text == texts[-1]
        session.execute(sql("UPDATE versions SET text_sha1 = 'x' WHERE article_id = :a AND seq = 3"), {"a": article_id})
    with session_scope(url) as session, pytest.raises(versiontext.CorruptText):
        queries.get_version(session, article_id, 3)
    with session_scope(url) as session:
        # Version 2 is rebuilt through version 3 and checked against its own hash.
        version = queries.get_version(session, article_id, 2)
        assert version is not None and version.text == texts[1]
        session.execute(
            sql("UPDATE versions SET text_delta = :d WHERE article_id = :a AND seq = 3"), {"a": article_id, "d": b"d=1"}
        )
    with session_scope(url) as session, pytest.raises(versiontext.CorruptText):
        queries.get_version(session, article_id, 2)


def test_the_migration_converts_existing_texts(db_url: str) -> None:
    url = db_url
    cfg = alembic_config(url)
    command.upgrade(cfg, "0002_daemon")
    command.upgrade(cfg, "0002_review")
    texts = _texts(versiontext.KEYFRAME_EVERY + 3)
    with get_engine(url).begin() as conn:
        conn.execute(
            sql(
                "INSERT INTO articles (id, url, status, first_seen_at, consecutive_failures, version_count) "
                "VALUES (1, 'http://x/1', 'active', '2026-01-01', 0, :n)"
            ),
            {"n": len(texts)},
        )
        for seq, text in enumerate(texts, start=1):
            conn.execute(
                sql(
                    "INSERT INTO versions (article_id, seq, fetched_at, content_hash, text, extractor,"
                    " extractor_version) VALUES (1, :seq, '2026-01-01', 'h', :text, 'e', '1')"
                ),
                {"seq": seq, "text": text},
            )
    command.upgrade(cfg, "heads")
    with session_scope(url) as session:
        assert [v.text for v in queries.versions_of(session, 1)] == texts
        assert queries.get_version(session, 1, 5).text == texts[4]  # type: ignore[union-attr]
    command.downgrade(cfg, "0002_daemon")  # before the deltas: full texts again
    with get_engine(url).connect() as conn:
        assert list(conn.execute(sql("SELECT text FROM versions ORDER BY seq")).scalars()) == texts
