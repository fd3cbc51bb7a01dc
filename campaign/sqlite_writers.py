"""SQLite writers wait in a queue for the write lock, instead of polling for it.

SQLite lets one writer at a time hold a database. A writer that finds it taken sleeps
in SQLite's busy handler, in steps that grow to 100 ms, and looks again: under a crowd
of sign-ups most of a request's time went to those sleeps while the lock sat free
(the bench's sign-up p99 was 0.7-0.9 s at 32 connections). Here every connection first
takes an exclusive `flock` on a file beside the database, which the kernel hands to the
next waiter the moment it is released, and only then starts its write. Reads never
take it (WAL lets them run beside the writer).

The lock is taken at a connection's first INSERT, UPDATE, DELETE or REPLACE (where
Python's sqlite3 begins the transaction) and released after its COMMIT or ROLLBACK.
A thread that already holds it through another connection does not wait for itself:
that second connection falls back to SQLite's own busy handler, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_holding = threading.local()  # whether this thread holds some connection's write turn


def _is_write(sql: str) -> bool:
    return sql.lstrip()[:7].upper().startswith(_WRITES)


class QueuedWriterConnection(sqlite3.Connection):
    """An sqlite3 connection whose writes queue on `<database>-writers` (see module doc)."""

    _lock_fd: int | None = None
    _has_turn = False

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        path = os.fspath(database)
        if path and path != ":memory:" and not path.startswith("file:"):
            self._lock_fd = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)

    def _take_turn(self, sql: str) -> None:
        if (
            self._lock_fd is None
            or self._has_turn
            or self.in_transaction
            or getattr(_holding, "turn", False)
            or not _is_write(sql)
        ):
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._has_turn = _holding.turn = True

    def _end_turn(self) -> None:
        if self._has_turn and not self.in_transaction:
            self._has_turn = _holding.turn = False
            assert self._lock_fd is not None
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def turn_for(self, sql: str) -> Iterator[None]:
        """Around one statement: wait for the turn if it writes; give it back if the
        statement began no transaction (autocommit, or it failed before beginning)."""
        self._take_turn(sql)
        try:
            yield
        finally:
            self._end_turn()

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or QueuedWriterCursor)

    # sqlite3's own Connection.execute runs its cursor in C, past QueuedWriterCursor.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        with self.turn_for(sql):
            return super().execute(sql, parameters)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._has_turn:
                self._has_turn = _holding.turn = False
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # closing the file releases any flock on it
                self._lock_fd = None


class QueuedWriterCursor(sqlite3.Cursor):
    """A cursor of a QueuedWriterConnection: its writes wait for the connection's turn."""

    connection: QueuedWriterConnection

    def execute(self, sql: str, parameters: Any = (), /) -> QueuedWriterCursor:
        with self.connection.turn_for(sql):
            return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> QueuedWriterCursor:
        with self.connection.turn_for(sql):
            return super().executemany(sql, seq_of_parameters)
