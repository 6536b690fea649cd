"""Database faults: a locked SQLite file, a PostgreSQL restart. Retried, never lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import open_database, session_scope
from tests import forkserver
from tests.articles import TRUCE_V1, article_page, truce_report
from tests.conftest import ROOT, Redline
from tests.localsite import LocalSite
from tests.test_crash import check_consistency

FAST = ("-s", "RETRY_TIMES=0", "-s", "AUTOTHROTTLE_ENABLED=False")


def test_sqlite_locked_by_another_writer_is_retried_not_lost(
    tmp_path: Path, site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "locked.db"
    redline = Redline(f"sqlite:///{db_file}", tmp_path)
    urls = [site.put(f"/story-{i}", article_page(f"{TRUCE_V1.title} ({i})", TRUCE_V1.paragraphs)) for i in range(3)]
    redline("track", *urls)

    # Another program holds the write lock for 4 s, far past the busy timeout.
    monkeypatch.setenv("REDLINE_SQLITE_BUSY_MS", "200")
    locked = threading.Event()

    def hold_lock() -> None:
        conn = sqlite3.connect(db_file, timeout=5)
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(4)
        conn.commit()
        conn.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(5)
    crawl = redline("-v", "crawl", "--all", *FAST)
    holder.join()

    assert "retry" in crawl.stderr, crawl.stderr[-2000:]
    for url in urls:
        assert [c["outcome"] for c in redline.json("checks", url)["checks"]] == ["new_version"]
        assert len(redline.json("history", url)["versions"]) == 1


def _crawl_proc(db_url: str, cwd: Path) -> forkserver.Process:
    cmd = [sys.executable, "-m", "review.cli", "--db", db_url, "crawl", "--all", *FAST]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return forkserver.popen(cmd[3:], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.postgres
def test_two_crawlers_on_one_postgres_never_double_a_version(pg_url: str, site: LocalSite, tmp_path: Path) -> None:
    redline = Redline(pg_url, tmp_path)
    paths = [f"/story-{i}" for i in range(40)]
    urls = [site.put(p, article_page(f"{TRUCE_V1.title} ({p})", truce_report(i))) for i, p in enumerate(paths)]
    redline("track", *urls)
    for round_, toll in enumerate(("20,000", "20,057"), start=1):
        for i, p in enumerate(paths):
            site.put(p, article_page(f"{TRUCE_V1.title} ({p})", truce_report(i, toll)))
        procs = [_crawl_proc(pg_url, tmp_path) for _ in range(2)]
        for proc in procs:
            _out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err[-2000:]
        with session_scope(open_database(pg_url)) as session:
            counts = session.execute(text("SELECT article_id, COUNT(*) FROM versions GROUP BY article_id")).all()
        assert len(counts) == len(urls) and {n for _, n in counts} == {round_}
    assert len(redline.json("changes", "--kind", "number")) == len(urls)


def _restart_postgres(pg_url: str) -> str:
    """Restart the server if this machine lets us (CI does); else cut every connection to the test database."""
    import shutil

    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if shutil.which("pg_ctlcluster") and versions and os.geteuid() == 0:
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "restart"]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        return "restarted the server"
    import psycopg

    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    return "terminated every connection"


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.alone
def test_daemon_reconnects_after_a_postgres_restart(pg_url: str, site: LocalSite, tmp_path: Path) -> None:
    from tests.test_daemon import _daemon, _wait

    redline = Redline(pg_url, tmp_path)
    urls = [site.put(f"/p{i}", article_page(f"{TRUCE_V1.title} p{i}", truce_report(i))) for i in range(4)]
    redline("track", *urls)
    daemon = _daemon(pg_url, tmp_path, "--time-scale", "600", "--metrics-port", "0")
    try:
        _wait(lambda: redline.json("status")["daemon"].get("cycles", 0) >= 1, 60, "the first cycle")
        how = _restart_postgres(pg_url)
        site.put("/p2", article_page(f"{TRUCE_V1.title} p2", truce_report(2, "20,057")))
        _wait(lambda: bool(redline.json("changes", "--kind", "number")), 120, f"a change after PostgreSQL {how}")
        assert daemon.proc.poll() is None, "the daemon must survive the restart"
    finally:
        code, _seconds, log = daemon.stop()
    assert code == 0, log[-3000:]
    check_consistency(open_database(pg_url))
