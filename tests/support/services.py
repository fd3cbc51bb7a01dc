"""What a test run needs around the app: its database, free ports, a word on missing
services, and password hashing cheap enough to log in many times."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from campaign.extensions import db

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# `make test-postgres` sets TEST_REQUIRE_SERVICES=1: a run that asked for the services must
# not "pass" by skipping the tests that need them.
REQUIRE_SERVICES = IN_CI or os.environ.get("TEST_REQUIRE_SERVICES", "").lower() in {
    "1",
    "true",
    "yes",
}


def skip_or_fail(reason: str) -> None:
    """Skip with a reason on a newcomer's machine; in CI (or when TEST_REQUIRE_SERVICES is
    set) a missing service is a failure."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{'CI' if IN_CI else 'TEST_REQUIRE_SERVICES'} must not skip: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the database -----------------------------------------------------------------------

# Databases every PostgreSQL server has, to connect to while creating and dropping ours:
# the database named in TEST_DATABASE_URL need not exist.
MAINTENANCE_DATABASES = ("postgres", "template1")


def maintenance_engine(url: sa.URL) -> sa.Engine:
    """An AUTOCOMMIT engine on the server's maintenance database, or the run stops."""
    problem: Exception | None = None
    for name in (*MAINTENANCE_DATABASES, url.database):
        engine = sa.create_engine(
            url.set(database=name),
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 10},
        )
        try:
            with engine.connect():
                return engine
        except sa.exc.OperationalError as exc:
            engine.dispose()
            problem = exc
    # TEST_DATABASE_URL asks for PostgreSQL: without it the run fails, it never skips.
    pytest.exit(
        f"TEST_DATABASE_URL={url.render_as_string(hide_password=True)}: "
        f"cannot connect to that server: {problem}",
        returncode=1,
    )


def postgres_database(base_url: str) -> Iterator[str]:
    """Create a uniquely named database on the server of `base_url`; drop it afterwards."""
    url = sa.make_url(base_url)
    name = f"campaign_test_{uuid.uuid4().hex[:10]}"
    admin = maintenance_engine(url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.SQLAlchemyError as exc:
        admin.dispose()
        pytest.exit(f"cannot create the throw-away database {name}: {exc}", returncode=1)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def empty_all_tables() -> None:
    """Remove every row from every table (the schema stays)."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # Triggers may refuse DELETE (the audit log is append-only): lift them while the
        # tables are emptied and put them back, in the same transaction.
        triggers = db.session.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _ in triggers:
            db.session.execute(sa.text(f'DROP TRIGGER "{name}"'))
        for table in tables:
            db.session.execute(table.delete())
        for _, sql in triggers:
            db.session.execute(sa.text(sql))
    db.session.commit()


# --- organisers' passwords --------------------------------------------------------------


def use_cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its smallest cost: the same algorithm, without 0.4 s per hash in tests."""
    from argon2 import PasswordHasher

    from campaign.organisers import accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("dummy"))
