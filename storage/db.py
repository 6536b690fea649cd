"""The one way in to the database: engine, sessions and schema upgrades.

SQLite gets WAL, a busy timeout and foreign keys on every connection; PostgreSQL
uses the same code through psycopg 3. The schema is owned by Alembic: every
entry point calls :func:`open_database`, which upgrades to the latest revision
(a database already there is recognised without loading Alembic: a short
command should not pay for it).
"""

from __future__ import annotations

import ast
import atexit
import functools
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///redline.db"
# How long SQLite waits for another writer before "database is locked".
SQLITE_BUSY_MS = int(os.environ.get("REDLINE_SQLITE_BUSY_MS", "30000"))
# A transaction that meets a lock, a dropped connection or a racing writer is
# retried this many times, waiting 0.5 s, 1 s, 2 s… in between.
TRANSACTION_ATTEMPTS = 7
# What transaction() retries as the database being briefly away; raised after the last attempt.
UNREACHABLE = (OperationalError, InterfaceError)
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseMissing(LookupError):
    """A SQLite database that is not there, for a use that must not create it; the text says which."""


def database_url(url: str | None = None) -> str:
    """The URL to use: an explicit one, else ``REDLINE_DB``, else ./redline.db."""
    url = url or os.environ.get("REDLINE_DB") or DEFAULT_URL
    # People write postgresql://; we drive it with psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    _wal(cur, time.monotonic() + SQLITE_BUSY_MS / 1000)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _wal(cur: Any, deadline: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried while the file is locked. The switch
    takes the file's exclusive lock, and where waiting for it could deadlock
    SQLite answers "database is locked" at once instead of calling the busy
    handler: seen when a scheduler and its workers open a new database at
    the same moment (tests/test_storage.py)."""
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


_ENGINE_URLS: list[str] = []


def known_urls() -> list[str]:
    """The URLs this process has opened engines for."""
    return list(_ENGINE_URLS)


@functools.cache
def get_engine(url: str) -> Engine:
    """One engine per URL per process."""
    _ENGINE_URLS.append(url)
    sa_url = make_url(url)
    kwargs: dict[str, Any] = {}
    if sa_url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_MS / 1000}
    else:
        kwargs.update(pool_size=5, max_overflow=10, pool_pre_ping=True, pool_recycle=1800)
    engine = create_engine(sa_url, **kwargs)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        atexit.register(_close_sqlite, url)
    return engine


# At exit a checkpoint waits at most this long for another process's readers
# and writers; the last redline process to exit finds none.
EXIT_CHECKPOINT_BUSY_MS = 2000


def checkpoint(url: str, busy_ms: int | None = None) -> tuple[int, int, int] | None:
    """``PRAGMA wal_checkpoint(TRUNCATE)``: copy the write-ahead log into the
    database file and empty it, so that the file alone holds everything.
    (busy, log frames, frames checkpointed) as SQLite reports them; None off SQLite.
    ``busy_ms``: how long to wait for other connections (default: the usual busy timeout)."""
    if make_url(url).get_backend_name() != "sqlite":
        return None
    with get_engine(url).connect() as conn:
        if busy_ms is not None:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_ms)}")
        try:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        finally:
            if busy_ms is not None:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    busy, log, done = (int(x) for x in row)
    if busy:
        logger.info("checkpoint of %s: %d of %d log frames copied (another connection is busy)", url, done, log)
    return busy, log, done


def _close_sqlite(url: str) -> None:
    """On a clean exit: checkpoint, then close the pooled connections."""
    try:
        checkpoint(url, busy_ms=EXIT_CHECKPOINT_BUSY_MS)
        get_engine(url).dispose()
    except Exception as exc:  # never turn a clean exit into a traceback
        logger.warning("could not checkpoint %s at exit: %s", url, exc)


@functools.cache
def _sessionmaker(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the database at ``url`` (no alembic.ini: the migrations ship with the code)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = get_engine(url)
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str) -> None:
    """Bring the schema at ``url`` to the latest Alembic revision."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


@functools.cache
def head_revisions() -> frozenset[str] | None:
    """The latest revisions, read from the migration files (None when they cannot be read)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        for path in (MIGRATIONS / "versions").glob("*.py"):
            found = {m[1]: m[2] for m in _REVISION.finditer(path.read_text(encoding="utf-8"))}
            revisions.add(ast.literal_eval(found["revision"]))
            down = ast.literal_eval(found.get("down_revision", "None"))
            parents.update([down] if isinstance(down, str) else down or ())
    except (OSError, KeyError, ValueError, SyntaxError):
        return None
    return frozenset(revisions - parents) or None


def _at_head(url: str) -> bool:
    """Whether the schema at ``url`` is already at the latest revisions."""
    heads = head_revisions()
    if heads is None:
        return False
    with get_engine(url).connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    return current == heads


def _sqlite_file(url: str) -> Path | None:
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite" or not sa_url.database or sa_url.database == ":memory:":
        return None
    if sa_url.database.startswith("file:"):
        return None
    return Path(sa_url.database)


def shared_between_processes(url: str) -> bool:
    """Whether another process opening ``url`` reaches the same database: not an
    in-memory SQLite (nor a ``file:`` URI, which may be one)."""
    sa_url = make_url(url)
    return sa_url.get_backend_name() != "sqlite" or _sqlite_file(url) is not None


def check_sqlite_file(url: str, *, create: bool) -> None:
    """Say clearly when a SQLite database cannot be there: its directory is missing, or
    (``create`` false) the file itself; SQLite would create an empty one instead."""
    path = _sqlite_file(url)
    if path is None or path.exists():
        return
    if not path.parent.is_dir():
        raise DatabaseMissing(f"the directory {path.parent} does not exist")
    if not create:
        raise DatabaseMissing(f"{path} does not exist (redline track, sources add, crawl or run creates it)")


@functools.cache
def open_database(url: str | None = None, *, create: bool = True) -> str:
    """Resolve the URL, upgrade its schema once per process, return the URL.

    With ``create`` false a SQLite file that does not exist is refused
    (:class:`DatabaseMissing`) instead of created empty: for commands that only read.
    """
    resolved = database_url(url)
    check_sqlite_file(resolved, create=create)
    if not _at_head(resolved):
        upgrade(resolved)
    return resolved


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session whose work is one transaction: committed on success, else rolled back."""
    session = _sessionmaker(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


T = TypeVar("T")


def transaction(url: str, work: Callable[[Session], T], *, attempts: int = TRANSACTION_ATTEMPTS) -> T:
    """Run ``work`` in one transaction, retried when the database was briefly unavailable.

    Retried: a locked SQLite file, a PostgreSQL connection dropped by a restart
    (the pool reconnects), and a unique-constraint race with another writer
    (the retry sees the other writer's row and decides afresh). Anything else,
    or the last attempt's failure, is raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(url) as session:
                return work(session)
        except (*UNREACHABLE, IntegrityError) as exc:
            if attempt == attempts or (isinstance(exc, IntegrityError) and attempt >= 2):
                raise
            wait = 0.5 * 2 ** (attempt - 1)
            logger.warning("database busy or unreachable (%s); retry %d in %.1f s", exc.orig, attempt, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")
