"""SQLite writers queue for the write lock (campaign/sqlite_writers.py).

The careless case: many workers' threads writing at once must each get their turn in
order, without "database is locked" and without a thread waiting for itself.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from flask import Flask

from campaign.extensions import db
from campaign.sqlite_writers import QueuedWriterConnection


def connect(path: Path, busy_ms: int = 5000) -> QueuedWriterConnection:
    conn = sqlite3.connect(path, factory=QueuedWriterConnection, check_same_thread=False)
    assert isinstance(conn, QueuedWriterConnection)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={busy_ms}")
    return conn


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "queue.db"
    with connect(path) as conn:
        conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, writer TEXT)")
    return path


def test_a_second_writer_waits_its_turn_and_then_writes(database: Path) -> None:
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO rows (writer) VALUES ('first')")  # first holds the turn
    order: list[str] = []
    started = threading.Event()

    def write_second() -> None:
        started.set()
        second.execute("INSERT INTO rows (writer) VALUES ('second')")
        order.append("second wrote")
        second.commit()

    thread = threading.Thread(target=write_second)
    thread.start()
    started.wait()
    thread.join(0.3)
    assert thread.is_alive(), "the second writer did not wait for the first to finish"
    order.append("first committed")
    first.commit()
    thread.join(10)
    assert not thread.is_alive()
    assert order == ["first committed", "second wrote"]
    rows = first.execute("SELECT writer FROM rows ORDER BY id").fetchall()
    assert rows == [("first",), ("second",)]


def test_readers_never_wait_for_a_writer(database: Path) -> None:
    writer, reader = connect(database), connect(database)
    writer.execute("INSERT INTO rows (writer) VALUES ('pending')")
    seen: list[int] = []
    thread = threading.Thread(
        target=lambda: seen.append(reader.execute("SELECT count(*) FROM rows").fetchone()[0])
    )
    thread.start()
    thread.join(10)
    assert seen == [0]  # read at once, without the uncommitted row
    writer.rollback()


def test_rollback_and_failed_statements_give_the_turn_back(database: Path) -> None:
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO rows (writer) VALUES ('undone')")
    first.rollback()
    with pytest.raises(sqlite3.OperationalError):
        first.execute("INSERT INTO no_such_table VALUES (1)")
    first.rollback()
    done = threading.Event()

    def write_second() -> None:
        second.execute("INSERT INTO rows (writer) VALUES ('second')")
        second.commit()
        done.set()

    thread = threading.Thread(target=write_second)
    thread.start()
    thread.join(10)
    assert done.is_set(), "a rolled-back writer kept the turn"


def test_a_thread_never_waits_for_itself(database: Path) -> None:
    # One thread writing through two connections at once: the second does not queue
    # behind the first (that would hang forever); SQLite itself refuses it, as before.
    first, second = connect(database), connect(database, busy_ms=0)
    first.execute("INSERT INTO rows (writer) VALUES ('first')")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO rows (writer) VALUES ('second')")
    second.rollback()
    first.commit()
    second.execute("INSERT INTO rows (writer) VALUES ('second')")
    second.commit()
    assert first.execute("SELECT count(*) FROM rows").fetchone() == (2,)


def test_the_site_on_sqlite_queues_its_writers(app: Flask) -> None:
    # Only SQLite's connections queue: PostgreSQL locks rows, not the database.
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            queued = isinstance(raw.driver_connection, QueuedWriterConnection)
            assert queued == (db.engine.dialect.name == "sqlite")
            if queued:  # and still with the site's settings (WAL, foreign keys, busy wait)
                cursor = raw.cursor()
                settings = [
                    cursor.execute(f"PRAGMA {name}").fetchone()[0]
                    for name in ("journal_mode", "foreign_keys", "busy_timeout")
                ]
                assert settings == ["wal", 1, 5000]
        finally:
            raw.close()
