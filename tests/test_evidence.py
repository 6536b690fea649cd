"""Evidence that holds up: WARC records of every version, `redline verify`, a database file whole on its own."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
import zipfile
import zlib
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select, text
from warcio.archiveiterator import ArchiveIterator

from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.recording import record_page
from storage import queries, warc
from storage.db import get_engine, open_database, session_scope
from storage.models import Version, WarcRecord
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

WARCIO = [sys.executable, "-m", "warcio.cli"]


def _v2() -> str:
    return article_page(TRUCE_V1.title, [p.replace("20,000", "20,057") for p in TRUCE_V1.paragraphs])


def _read(path: Path) -> list[tuple[str, str | None, bytes, bytes, dict[str, str]]]:
    """(type, target URI, payload as stored, payload decoded, WARC headers) of every record, by warcio's reader."""
    out = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            headers = dict(record.rec_headers.headers)
            raw = record.raw_stream.read()
            decoded = raw
            if record.rec_type == "response" and record.http_headers.get_header("Content-Encoding") == "gzip":
                decoded = gzip.decompress(raw)
            out.append((record.rec_type, headers.get("WARC-Target-URI"), raw, decoded, headers))
    return out


def test_exported_warc_is_read_back_by_warcio_byte_for_byte(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    v1, v2 = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs), _v2()
    url = site.put("/world/truce", v1)
    ferry = article_page("Ferry fares to rise", ["The council approved a rise of 4% in ferry fares, citing fuel."] * 3)
    packed = gzip.compress(ferry.encode("utf-8"))
    zipped = site.put("/local/ferry", packed, headers={"Content-Encoding": "gzip"})
    redline("track", url, zipped)
    redline("crawl", "--all")
    site.put("/world/truce", v2)
    redline("crawl", "--all")
    assert [v["version"] for v in redline.json("history", url)["versions"]] == [1, 2]

    out = tmp_path / "all.warc.gz"
    redline("export", "--format", "warc", "-o", str(out))
    records = _read(out)
    assert [r[0] for r in records] == ["warcinfo"] + ["request", "response", "metadata"] * 3
    responses = {(r[1], r[2]) for r in records if r[0] == "response"}
    # The bodies as the server sent them, the gzip one still gzip-encoded.
    assert responses == {(url, v1.encode("utf-8")), (url, v2.encode("utf-8")), (zipped, packed)}
    assert [r[3] for r in records if r[0] == "response" and r[1] == zipped] == [ferry.encode("utf-8")]
    for kind, _, _, _, headers in records[1:]:
        assert headers["WARC-Date"] and headers["WARC-Block-Digest"].startswith("sha1:")
        if kind == "response":
            assert headers["WARC-Payload-Digest"].startswith("sha1:")
    requests = [r for r in records if r[0] == "request"]
    response_ids = {r[4]["WARC-Record-ID"] for r in records if r[0] == "response"}
    assert {r[4]["WARC-Concurrent-To"] for r in requests} == response_ids
    links = [json.loads(r[2]) for r in records if r[0] == "metadata"]
    assert sorted((m["article_url"], m["version"]) for m in links) == [(zipped, 1), (url, 1), (url, 2)]
    assert {r[4]["WARC-Refers-To"] for r in records if r[0] == "metadata"} == response_ids

    # warcio's own tools: the index lists every record, the check recomputes every digest.
    index = subprocess.run([*WARCIO, "index", str(out)], capture_output=True, text=True, check=True).stdout
    assert len(index.splitlines()) == 10
    check = subprocess.run([*WARCIO, "check", "-v", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout

    one = tmp_path / "one.warc.gz"
    redline("export", "--format", "warc", "--url", url, "--version", "2", "-o", str(one))
    assert [(r[0], r[2]) for r in _read(one) if r[0] == "response"] == [("response", v2.encode("utf-8"))]
    assert redline("verify").stdout.splitlines()[-1].endswith("3 text(s), 3 WARC record set(s); all match")


def test_export_refuses_what_it_cannot_honour(redline: Redline, tmp_path: Path) -> None:
    open_database(redline.db_url)  # an empty database: read commands do not create one
    assert (
        "a WARC export takes"
        in redline("export", "--format", "warc", "--kind", "number", "-o", "x", check=False).stderr
    )
    assert "go with --format warc" in redline("export", "--url", "http://x.test/", check=False).stderr
    assert (
        "not tracked" in redline("export", "--format", "warc", "--url", "http://x.test/", "-o", "x", check=False).stderr
    )
    assert not (tmp_path / "x").exists()


def _store(url: str, versions: list[str]) -> tuple[str, int]:
    """An article with these page versions stored through record_page (no HTTP capture: resource records)."""
    db = open_database(url)
    with session_scope(db) as session:
        article, _ = queries.get_or_create_article(session, "http://news.test/a")
        article_id = article.id
    for html in versions:
        with session_scope(db) as session:
            page = FetchedPage(article_id, "http://news.test/a", http_status=200, html=html, extracted=extract(html))
            record_page(session, page)
    return db, article_id


def _paragraphs(n: int) -> list[str]:
    return [p.replace("20,000", f"{20_000 + n:,}") for p in TRUCE_V1.paragraphs]


def _flip_last_byte(db: str, column: str, where: str) -> None:
    with get_engine(db).begin() as conn:
        blob = conn.execute(text(f"SELECT {column} FROM {where}")).scalar_one()
        changed = blob[:-1] + bytes([blob[-1] ^ 0x01])
        conn.execute(
            text(f"UPDATE {where.split(' WHERE ')[0]} SET {column} = :b WHERE {where.split(' WHERE ')[1]}"),
            {"b": changed},
        )


def test_verify_names_each_corrupted_version_and_history_still_shows_the_others(tmp_path: Path) -> None:
    db, article_id = _store(
        f"sqlite:///{tmp_path / 'c.db'}", [article_page(TRUCE_V1.title, _paragraphs(i)) for i in range(3)]
    )
    redline = Redline(db, tmp_path)
    assert redline("verify").returncode == 0
    with session_scope(db) as session:
        v1 = session.scalar(select(Version).where(Version.article_id == article_id, Version.seq == 1))
        assert v1 is not None and v1.text_delta is not None and v1.text_z is None  # a delta from version 2
        v2_id = session.scalar(select(Version.id).where(Version.article_id == article_id, Version.seq == 2))
    _flip_last_byte(db, "text_delta", f"versions WHERE article_id = {article_id} AND seq = 1")

    done = redline("verify", check=False)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"article {article_id} http://news.test/a version 1: ") and len(lines) == 2
    assert lines[-1].endswith("1 problem(s)")

    history = redline("history", "http://news.test/a", check=False)
    assert history.returncode == 1 and "Traceback" not in history.stdout + history.stderr
    (error,) = history.stderr.strip().splitlines()
    assert error.startswith(f"Error: corrupted version: article {article_id} http://news.test/a: version 1: ")
    assert [line.split()[1] for line in history.stdout.splitlines() if line.split()[1:2] in (["1"], ["2"], ["3"])] == [
        "2",
        "3",
    ]
    shown = redline("history", "http://news.test/a", "--format", "json", check=False)
    assert [v["version"] for v in json.loads(shown.stdout)["versions"]] == [2, 3]
    diff = redline("diff", "http://news.test/a", "--from", "1", "--to", "2", check=False)
    assert diff.returncode == 1 and "corrupted version: article" in diff.stderr and "version 1" in diff.stderr

    # The raw page: one byte of the stored gzip, then a page altered inside intact gzip (only the digest can tell).
    _flip_last_byte(db, "warc_gz", f"warc_records WHERE version_id = {v2_id}")
    with session_scope(db) as session:
        record = session.scalar(select(WarcRecord).where(WarcRecord.version_id != v2_id).order_by(WarcRecord.id))
        assert record is not None
        members = [gzip.compress(r) for r in _members(record.warc_gz)]
        altered = gzip.decompress(members[0]).replace(b"Truce", b"Trucf", 1)
        record.warc_gz = b"".join([gzip.compress(altered), *members[1:]])
        third_seq = record.version.seq
    lines = redline("verify", check=False).stdout.splitlines()
    assert any(
        line.startswith(f"article {article_id} http://news.test/a version 2: WARC records unreadable") for line in lines
    )
    assert any(f"version {third_seq}: WARC resource record: payload digest failed" in line for line in lines), lines
    assert lines[-1].endswith("3 problem(s)") or lines[-1].endswith("4 problem(s)"), lines


def _members(data: bytes) -> list[bytes]:
    """The uncompressed gzip members of a fragment, one per record."""
    out = []
    rest = data
    while rest:
        d = zlib.decompressobj(zlib.MAX_WBITS + 16)
        out.append(d.decompress(rest))
        rest = d.unused_data
    return out


def test_the_web_ui_serves_the_raw_page_and_the_evidence_of_a_version(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from review.web import create_app

    html = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
    db, article_id = _store(f"sqlite:///{tmp_path / 'w.db'}", [html])
    with TestClient(create_app(db)) as client:
        page = client.get(f"/articles/{article_id}/versions/1")
        assert f'href="/articles/{article_id}/versions/1/evidence.zip"' in page.text
        assert client.get(f"/articles/{article_id}/versions/1/raw").content == html.encode("utf-8")
        got = client.get(f"/articles/{article_id}/versions/1/evidence.zip")
    assert got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as zf:
        names = sorted(zf.namelist())
        assert names == [f"redline-article{article_id}-v1.json", f"redline-article{article_id}-v1.warc.gz"]
        facts = json.loads(zf.read(names[0]))
        warc_bytes = zf.read(names[1])
    assert facts["warc"]["file_sha256"] == hashlib.sha256(warc_bytes).hexdigest()
    assert facts["text_sha1"] == hashlib.sha1(facts["text"].encode("utf-8")).hexdigest()
    path = tmp_path / names[1]
    path.write_bytes(warc_bytes)
    assert subprocess.run([*WARCIO, "check", str(path)], capture_output=True).returncode == 0
    assert [r[2] for r in _read(path) if r[0] == "resource"] == [html.encode("utf-8")]

    _flip_last_byte(db, "text_z", f"versions WHERE article_id = {article_id} AND seq = 1")
    with TestClient(create_app(db)) as client:
        broken = client.get(f"/articles/{article_id}/versions/1")
        api = client.get(f"/api/articles/{article_id}")
    assert broken.status_code == 500 and f"corrupted version: article {article_id} http://news.test/a" in broken.text
    assert api.status_code == 500 and "version 1" in api.json()["error"]


def _alone_holds(db_file: Path, tmp_path: Path) -> int:
    """Versions in a copy of the database file alone (no -wal, no -shm), opened read-only and immutable."""
    copy = tmp_path / f"alone-{db_file.stem}" / db_file.name
    copy.parent.mkdir()
    shutil.copyfile(db_file, copy)
    conn = sqlite3.connect(f"file:{copy}?mode=ro&immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0])
    finally:
        conn.close()


def test_a_crawl_leaves_the_database_file_whole_and_backup_copies_it(site: LocalSite, tmp_path: Path) -> None:
    db_file = tmp_path / "whole.db"
    redline = Redline(f"sqlite:///{db_file}", tmp_path)
    urls = [site.put(f"/s{i}", article_page(f"{TRUCE_V1.title} {i}", TRUCE_V1.paragraphs)) for i in range(3)]
    redline("track", *urls)
    get_engine(redline.db_url).dispose()  # this test process holds no connection of its own
    redline("crawl", "--all")
    assert _alone_holds(db_file, tmp_path) == 3

    copy = tmp_path / "copy.db"
    assert redline("backup", str(copy)).stdout.strip() == f"backed up 3 version(s) to {copy}"
    assert _alone_holds(copy, tmp_path) == 3
    again = redline("backup", str(copy), check=False)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_backup_of_postgresql_points_at_pg_dump(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from review.cli import cli

    # Said before connecting: this database does not even exist.
    pg = CliRunner().invoke(cli, ["--db", "postgresql://postgres@127.0.0.1:5432/no_such_db", "backup", "x.db"])
    assert pg.exit_code == 1 and "for PostgreSQL use pg_dump" in pg.output
    open_database(f"sqlite:///{tmp_path}/y.db")  # a database to back up: a missing one is refused first
    missing = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path}/y.db", "backup", str(tmp_path / "no" / "z.db")])
    assert missing.exit_code == 1 and "no directory" in missing.output


def test_the_daemon_verifies_a_sample_and_leaves_the_database_file_whole_on_sigterm(
    site: LocalSite, tmp_path: Path
) -> None:
    from tests.test_daemon import Daemon, _free_port, _wait

    db_file = tmp_path / "daemon.db"
    redline = Redline(f"sqlite:///{db_file}", tmp_path)
    urls = [site.put(f"/d{i}", article_page(f"{TRUCE_V1.title} {i}", TRUCE_V1.paragraphs)) for i in range(3)]
    redline("track", *urls)
    get_engine(redline.db_url).dispose()  # this test process holds no connection of its own
    port = _free_port()
    daemon = Daemon(redline.db_url, tmp_path, "--time-scale", "600", "--metrics-port", str(port))

    def stored() -> int:
        with sqlite3.connect(db_file) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0])

    def problems() -> int | None:
        return redline.json("status")["daemon"]["verify"]["problems"]

    try:
        _wait(lambda: stored() == 3, 60, "three versions")
        _wait(lambda: problems() == 0, 30, "a clean sampled verify")
        with session_scope(redline.db_url) as session:
            article = queries.find_article(session, urls[1])
            assert article is not None
            article_id = article.id
        _flip_last_byte(redline.db_url, "text_z", f"versions WHERE article_id = {article_id} AND seq = 1")
        _wait(lambda: problems() == 1, 30, "the sampled verify to find the altered byte")
        status = redline("status").stdout
        assert "sampled verify 1 problem(s) in 3 version(s)" in status and f"article {article_id}" in status
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "redline_verify_problems 1.0" in metrics and "redline_verified_versions_total" in metrics
        get_engine(redline.db_url).dispose()
    finally:
        code, _, log = daemon.stop()
    assert code == 0, log[-2000:]
    assert _alone_holds(db_file, tmp_path) == 3


def test_the_migration_moves_old_raw_pages_into_warc_records_and_back(db_url: str) -> None:
    from alembic import command

    from storage.db import alembic_config
    from storage.verify import verify

    cfg = alembic_config(db_url)
    command.upgrade(cfg, "0004_article_host")
    page = "<html><body><p>The old raw page, é.</p></body></html>"
    with get_engine(db_url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO articles (id, url, status, first_seen_at, consecutive_failures, version_count) "
                "VALUES (1, 'http://news.test/old', 'active', '2026-01-01', 0, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO versions (article_id, seq, fetched_at, content_hash, text_z, text_sha1, raw_html_z, "
                "extractor, extractor_version) VALUES (1, 1, '2026-01-02 03:04:05', 'h', :z, :sha, :raw, 'e', '1')"
            ),
            {
                "z": zlib.compress(b"Old text", 9),
                "sha": hashlib.sha1(b"Old text").hexdigest(),
                "raw": zlib.compress(page.encode("utf-8"), 3),
            },
        )
    command.upgrade(cfg, "heads")
    with session_scope(db_url) as session:
        record = session.scalar(select(WarcRecord))
        assert record is not None and record.article_id == 1
        raw = warc.raw_page(record.warc_gz)
        assert raw is not None and raw.body == page.encode("utf-8")
        assert verify(session).summary().endswith("1 text(s), 1 WARC record set(s); all match")
    with get_engine(db_url).connect() as conn:
        assert "raw_html_z" not in {c[0] for c in conn.execute(text("SELECT * FROM versions")).cursor.description}
    command.downgrade(cfg, "0004_article_host")
    with get_engine(db_url).connect() as conn:
        blob = conn.execute(text("SELECT raw_html_z FROM versions")).scalar_one()
    assert zlib.decompress(blob) == page.encode("utf-8")
    command.upgrade(cfg, "heads")


def test_a_crawl_that_meets_a_corrupted_version_records_it_against_the_article(site: LocalSite, tmp_path: Path) -> None:
    redline = Redline(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)
    url = site.put("/world/truce", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl", "--all")
    with session_scope(redline.db_url) as session:
        article = queries.find_article(session, url)
        assert article is not None
        article_id = article.id
    _flip_last_byte(redline.db_url, "text_z", f"versions WHERE article_id = {article_id} AND seq = 1")
    site.put("/world/truce", _v2())
    done = redline("crawl", "--all")
    assert "checked 1 of 1: 1 error" in done.stdout and "Traceback" not in done.stderr
    (last,) = [c for c in redline.json("checks", url)["checks"] if c["outcome"] == "error"]
    assert last["error"].startswith(f"stored version unreadable: article {article_id} {url}: version 1: ")


def _fragment(built: warc.Built) -> list[tuple[str, dict[str, str], bytes]]:
    out = []
    for record in ArchiveIterator(io.BytesIO(built.data), check_digests=True):
        out.append((record.rec_type, dict(record.rec_headers.headers), record.content_stream().read()))
    return out


def test_a_response_record_built_ahead_makes_the_fragment_build_would() -> None:
    fetched = dt.datetime(2026, 12, 3, 12, 0, 0, 250000)
    body = gzip.compress(_v2().encode("utf-8"))
    exchange = warc.Exchange(
        "https://news.test/world/truce?page=1",
        200,
        "OK",
        response_headers=[
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
        ],
        body=body,
        request_headers=[("Accept", "text/html")],
        ip_address="127.0.0.1",
    )
    article = SimpleNamespace(id=7, url=exchange.url)
    version = SimpleNamespace(seq=2, fetched_at=fetched, final_url=None, content_hash="c" * 40, text_sha1="t" * 40)
    ahead = warc.response_record(exchange, fetched)
    args = {"article": article, "version": version, "exchange": exchange, "html": None, "fetched_at": fetched}
    here = warc.build(**args)  # type: ignore[arg-type]
    used = warc.build(**args, response=ahead)  # type: ignore[arg-type]
    assert here is not None and used is not None
    assert used.record_id == ahead.record_id and ahead.data in used.data
    ids = {"WARC-Record-ID", "WARC-Concurrent-To", "WARC-Refers-To"}
    for (kind, h1, p1), (kind2, h2, p2) in zip(_fragment(here), _fragment(used), strict=True):
        assert (kind, p1) == (kind2, p2)
        assert {k: v for k, v in h1.items() if k not in ids} == {k: v for k, v in h2.items() if k not in ids}
    request, response, meta = _fragment(used)
    assert request[1]["WARC-Concurrent-To"] == response[1]["WARC-Record-ID"] == meta[1]["WARC-Refers-To"]
    # One built for another fetch of the page (another time) is not taken: the records say when this one came.
    stale = warc.build(**args, response=warc.response_record(exchange, fetched + dt.timedelta(minutes=5)))  # type: ignore[arg-type]
    assert stale is not None and stale.record_id != ahead.record_id
    assert [h["WARC-Date"] for _, h, _ in _fragment(stale)] == [warc.warc_date(fetched)] * 3
