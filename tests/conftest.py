"""Fixtures in the flaskr manner: a fresh app and an empty database for every test.

The schema is built once per run by the real Alembic migrations, on SQLite by default or
on the PostgreSQL server named by TEST_DATABASE_URL (a throw-away database is created on
it and dropped afterwards). Between tests every table is emptied.

Only fixtures live in conftest.py files; what they and the tests share besides (factories,
form data, log-in, MailBox, ...) is in tests/support/ (docs/development.md lists it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from campaign import create_app
from campaign.extensions import db
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL, make_organiser
from tests.support.mail import MailBox, MailCollector
from tests.support.services import (
    empty_all_tables,
    free_port,
    postgres_database,
    skip_or_fail,
    use_cheap_password_hashing,
)
from tests.support.web import app_settings, log_in

# --- database -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test run."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        generator = postgres_database(base)
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


# --- e-mail ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailBox]:
    """A real SMTP server (aiosmtpd) in the test process."""
    from aiosmtpd.controller import Controller

    box = MailBox(host="127.0.0.1", port=free_port())
    controller = Controller(MailCollector(box), hostname=box.host, port=box.port)
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
            **app_settings(database_url, smtp_server),
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


@pytest.fixture
def deliver_mail(app: Flask, mailbox: MailBox):
    """Run the outbox sender once, as `flask mail work --once` would; returns its counts."""
    from campaign.mail.services import send_due_messages

    def deliver() -> dict[str, int]:
        with app.app_context():
            return send_due_messages()

    return deliver


# --- the organisers' room ---------------------------------------------------------------


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its smallest cost while this test runs (the folders whose tests log in a
    lot use it for every test: their conftest.py asks for it with autouse)."""
    use_cheap_password_hashing(monkeypatch)


@pytest.fixture
def admin_client(app: Flask, client: FlaskClient) -> FlaskClient:
    """`client`, logged in as an admin."""
    make_organiser(app, ADMIN_EMAIL, "admin")
    assert log_in(client, ADMIN_EMAIL).status_code == 302
    return client


@pytest.fixture
def organiser_client(app: Flask, client: FlaskClient) -> FlaskClient:
    """`client`, logged in as an organiser (not an admin)."""
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    assert log_in(client, ORGANISER_EMAIL).status_code == 302
    return client


@pytest.fixture
def room(organiser_client: FlaskClient) -> FlaskClient:
    """A client logged in as an organiser (the bulletins' and news tests' name for it)."""
    return organiser_client
