"""`redline backup FILE`: a consistent copy of a SQLite database, whole on its own.

SQLite's online backup API copies the database page by page while other
processes go on writing (a write during the copy restarts it from a fresh
snapshot), write-ahead log included. The copy is switched out of WAL mode, so
it is one file with nothing beside it: ready to copy, mail or open read-only.
PostgreSQL has its own tool for this, ``pg_dump``.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import get_engine

logger = logging.getLogger(__name__)


class BackupError(Exception):
    """The backup cannot be made: the message says why, in one line."""


def backup(url: str, target: Path) -> int:
    """Copy the database at ``url`` into the new file ``target``; return how many versions it holds."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        raise BackupError(
            "redline backup copies SQLite databases; for PostgreSQL use pg_dump "
            f"(for example: pg_dump --format=custom --file=redline.dump {sa_url.database or 'DBNAME'})"
        )
    if target.exists():
        raise BackupError(f"{target} already exists; give a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"no directory {target.parent}")
    engine = get_engine(url)
    with engine.connect() as conn:
        source = conn.connection.dbapi_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            count = int(copy.execute("SELECT COUNT(*) FROM versions").fetchone()[0])
        finally:
            copy.close()
    logger.info("backed up %s to %s (%d versions)", url, target, count)
    return count
