"""One poller per channel across workers: a PostgreSQL advisory lock held on its own connection."""

from __future__ import annotations

import zlib
from typing import Any

import sqlalchemy as sa

from bot.storage.db import Database


class PollerLock:
    """Held by at most one process at a time (per database); released when that process's connection
    ends, so a worker killed with -9 hands polling over to another within one retry.

    SQLite serves one worker only (docs/deploy.md): the lock is always granted there."""

    def __init__(self, database: Database, name: str) -> None:
        self.database = database
        # advisory lock keys are 64-bit integers: a stable one per name
        self.key = zlib.crc32(f"lawbot-poller:{name}".encode())
        self._connection: Any = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self.database.dialect != "postgresql"

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (never waits)."""
        if self.database.dialect != "postgresql" or self._connection is not None:
            return True
        connection = self.database.engine.connect()
        try:
            got = bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
            connection.commit()  # the lock is session-level: it outlives this transaction
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            connection.commit()
        finally:
            connection.close()  # closing the session would release it anyway
