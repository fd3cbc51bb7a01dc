"""The bench's two ceilings, served by gunicorn beside the site: bare Flask answering
"hello" (the framework's ceiling) and bare Flask doing one insert per request (the
storage ceiling: SQLite like the site's default, or PostgreSQL when BENCH_DATABASE_URL
is set). Run as `gunicorn -c gunicorn.conf.py bench.baseline:hello` (or `:insert`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from flask import Flask

hello = Flask("hello")


@hello.get("/")
def say_hello() -> str:
    return "hello"


insert = Flask("insert")
_local = threading.local()
DATABASE = os.environ.get("BASELINE_DATABASE", "")


def _connection() -> Any:
    # One connection per thread, opened once, with the site's SQLite settings, so the
    # baseline pays for exactly one INSERT and one COMMIT a request.
    conn = getattr(_local, "conn", None)
    if conn is None:
        if DATABASE.startswith("postgresql"):
            import psycopg

            conn = psycopg.connect(DATABASE.replace("postgresql+psycopg://", "postgresql://"))
        else:
            conn = sqlite3.connect(DATABASE, timeout=5, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("PRAGMA synchronous=NORMAL")
        _local.conn = conn
    return conn


@insert.post("/")
def insert_one() -> str:
    conn = _connection()
    placeholder = "%s" if DATABASE.startswith("postgresql") else "?"
    conn.execute(f"INSERT INTO baseline_rows (note) VALUES ({placeholder})", ("hello",))
    conn.commit()
    return "ok"
