"""The store's one SQLite connection: WAL pragmas, schema on open, `transaction()` and `read()`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from nucleus_emulator.store.schema import SCHEMA

T = TypeVar("T")


class StoreConnection:
    """One SQLite connection in WAL mode, serialised by a lock (handlers run on threads).

    Every concept store of `Store` shares one of these: a write is `with db.transaction() as
    conn:`, a read `with db.read() as conn:` or `db.fetch_one`/`db.fetch_all`.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # No fsync: in WAL mode a crash of the process loses nothing (the OS has the writes);
        # only an OS crash could. NORMAL fsyncs at every checkpoint: half of a small append.
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("PRAGMA temp_store=MEMORY")
        self._conn.execute("PRAGMA cache_size=-65536")  # KiB: 64 MiB of page cache
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as conn:
            for ddl in SCHEMA:
                conn.execute(ddl)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside BEGIN IMMEDIATE … COMMIT (rolled back on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (under the lock, autocommit)."""
        with self._lock:
            yield self._conn

    def fetch_one(self, row_type: Callable[[Any], T], sql: str, args: Sequence[Any]) -> T | None:
        """`row_type(row)` of the first row `sql` reads, or None (mapped outside the lock)."""
        with self.read() as conn:
            row = conn.execute(sql, args).fetchone()
        return None if row is None else row_type(row)

    def fetch_all(self, row_type: Callable[[Any], T], sql: str, args: Sequence[Any]) -> list[T]:
        """`row_type(row)` of every row `sql` reads, in order (mapped outside the lock)."""
        with self.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [row_type(r) for r in rows]
