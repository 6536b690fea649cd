"""Alembic environment: the engine comes from storage.db, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from storage.leader import lock_key
from storage.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    # Processes started together on a new database (a scheduler, its standby,
    # workers) would otherwise all create the tables at once and all but one fail.
    # One migrates at a time; whoever waited then finds the schema at head and has
    # nothing to do. The lock ends with this transaction.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("redline-migrations")})
    elif connection.dialect.name == "sqlite":
        # The write lock, taken now: Python's sqlite3 would begin no transaction
        # before DDL, and two processes would both see the tables missing.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
