"""Leadership for distributed mode: one scheduler at a time, through a PostgreSQL advisory lock.

The lock belongs to a database session: while the leader's connection lives,
nobody else gets it; when the leader dies (crash, kill -9, lost machine) the
connection closes and PostgreSQL releases the lock, so a standby polling
``try_acquire`` takes over. TCP keepalives bound how long a vanished machine
can hold it (about 30 s with the settings below).
"""

from __future__ import annotations

import contextlib
import logging
import zlib

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


class LeadershipUnavailable(RuntimeError):
    """Distributed mode needs PostgreSQL: SQLite has no cross-machine locks."""


def lock_key(name: str) -> int:
    """A stable 63-bit key for a lock name."""
    return zlib.crc32(name.encode()) | (0x5244 << 32)


class LeaderLock:
    """Hold (or wait for) the leadership named ``name`` on the database at ``url``."""

    def __init__(self, url: str, name: str = "redline-scheduler"):
        sa_url = make_url(url)
        if sa_url.get_backend_name() != "postgresql":
            raise LeadershipUnavailable(f"leader election needs PostgreSQL, not {sa_url.get_backend_name()}")
        # Its own connection, outside the pool: the lock lives and dies with it.
        self._engine = create_engine(sa_url, poolclass=NullPool, connect_args=KEEPALIVES)
        self.key = lock_key(name)
        self.name = name
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        """Still the leader? Checks that the lock's connection is alive."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            logger.warning("lost the database connection holding %s: no longer the leader", self.name)
            self._drop()
            return False

    def try_acquire(self) -> bool:
        """Become the leader if nobody is; never blocks."""
        if self.held:
            return True
        try:
            conn = self._engine.connect()
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
            conn.commit()
        except DBAPIError as exc:
            logger.warning("cannot reach the database for %s: %s", self.name, exc.orig)
            return False
        if got:
            self._conn = conn
            logger.info("became the leader (%s)", self.name)
        else:
            conn.close()
        return got

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            except DBAPIError:
                pass
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(DBAPIError):
                self._conn.close()
        self._conn = None
