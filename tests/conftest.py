"""Fixtures in the flaskr manner: a fresh app and an empty database for every test.

The schema is built once per run by the real Alembic migrations, on SQLite by default or
on the PostgreSQL server named by TEST_DATABASE_URL (a throw-away database is created on
it and dropped afterwards). Between tests every table is emptied.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from campaign import create_app
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


# --- database -------------------------------------------------------------------------

# Databases every PostgreSQL server has, to connect to while creating and dropping ours:
# the database named in TEST_DATABASE_URL need not exist.
MAINTENANCE_DATABASES = ("postgres", "template1")


def _maintenance_engine(url: sa.URL) -> sa.Engine:
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


def _postgres_database(base_url: str) -> Iterator[str]:
    """Create a uniquely named database on the server of `base_url`; drop it afterwards."""
    url = sa.make_url(base_url)
    name = f"campaign_test_{uuid.uuid4().hex[:10]}"
    admin = _maintenance_engine(url)
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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test run."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        generator = _postgres_database(base)
        url = next(generator)
    else:
        generator = None
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'campaign.db'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-migrations"},
        instance_path=str(tmp_path_factory.mktemp("instance")),
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if generator is not None:
        next(generator, None)


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


# --- e-mail ---------------------------------------------------------------------------


@dataclass
class MailBox:
    """What the test SMTP server received."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to `address`."""
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text part of a message."""
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        """The HTML part of a message."""
        return message.get_body(preferencelist=("html",)).get_content()

    @staticmethod
    def links(message: EmailMessage) -> list[str]:
        """Every http(s) link in the plain-text part."""
        return re.findall(r"https?://[^\s<>\"]+", MailBox.text(message))


class _Collector:
    def __init__(self, box: MailBox):
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.box.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailBox]:
    """A real SMTP server (aiosmtpd) in the test process."""
    from aiosmtpd.controller import Controller

    box = MailBox(host="127.0.0.1", port=free_port())
    controller = Controller(_Collector(box), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: MailBox) -> MailBox:
    """The SMTP server's inbox, empty at the start of the test."""
    smtp_server.messages.clear()
    return smtp_server


# --- Redis ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """TEST_REDIS_URL when set, else a private redis-server started for this run (never the
    machine's shared one). Without either the tests that need Redis skip, and fail in CI."""
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        try:
            redis.Redis.from_url(given, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            skip_or_fail(f"Redis at TEST_REDIS_URL={given} is not reachable: {exc}")
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None:
                    skip_or_fail(f"redis-server exited with {server.returncode}")
                time.sleep(0.1)
        else:
            skip_or_fail(f"redis-server on port {port} never answered")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the app --------------------------------------------------------------------------


@pytest.fixture
def app(database_url: str, smtp_server: MailBox, tmp_path: Path) -> Iterator[Flask]:
    """A fresh app on the migrated test database, sending mail to the test SMTP server."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_TRANSPORT": "smtp",
            "MAIL_SERVER": smtp_server.host,
            "MAIL_PORT": smtp_server.port,
            "MAIL_SEND_INLINE": False,
            "RATELIMIT_ENABLED": False,
            "SITE_URL": "http://localhost",
            "SERVER_NAME": "localhost",
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token field in the page"
    return next(g for g in match.groups() if g)


@pytest.fixture
def deliver_mail(app: Flask, mailbox: MailBox):
    """Run the outbox sender once, as `flask mail work --once` would; returns its counts."""
    from campaign.mail.services import send_due_messages

    def deliver() -> dict[str, int]:
        with app.app_context():
            return send_due_messages()

    return deliver
