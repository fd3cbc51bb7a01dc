"""Limits that stop floods, not rooms: shared between processes, keyed by hashed addresses,
and still working when Redis dies.

The attackers: a script posting thousands of fake signatures from one address, and
whoever reads Redis or the logs hoping to find who signed from where. The careless
friend: a meeting of a hundred people signing on one venue Wi-Fi.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from campaign import create_app
from campaign.appeal.models import Supporter
from campaign.extensions import db, limiter
from campaign.ratelimit import RateLimitCounter
from campaign.scheduler import run_due_jobs
from campaign.security import hash_ip
from tests.support.data import form_data
from tests.support.mail import link
from tests.support.reads import supporters, tallies
from tests.support.services import free_port
from tests.support.web import csrf_from

ROOM = "198.51.100.23"  # the venue's one public address
TOKEN = "WzEsImFiY2RlZmdoIl0.Z0tK2A.u8Tn3Vq2Xy"  # the shape of a personal link's token
PROJECT = Path(__file__).resolve().parent.parent


def limited_app(app: Flask, tmp_path: Path, **config: object) -> Flask:
    """The test app's settings with rate limits on (Flask-Limiter reads them at start)."""
    built = create_app(
        {**app.config, "RATELIMIT_ENABLED": True, **config},
        instance_path=str(tmp_path / f"limited-{len(list(tmp_path.iterdir()))}"),
    )
    with built.app_context():
        limiter.reset()
    return built


def client_at(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post_signature(client, email: str):
    token = csrf_from(client.get("/appeal").text)
    return client.post("/appeal", data={"csrf_token": token, **form_data(email=email)})


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen]]:
    """A redis-server of this test's own on a free port (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.RedisError:
            time.sleep(0.05)
    yield url, process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_a_room_of_a_hundred_all_sign_and_the_excess_is_held(
    app, client, tmp_path, mailbox, deliver_mail
):
    room = client_at(limited_app(app, tmp_path), ROOM)
    statuses = [post_signature(room, f"person{n}@example.org").status_code for n in range(100)]
    assert statuses == [303] * 100  # nobody in the room is refused

    deliver_mail()
    assert len(mailbox.messages) == 100  # everyone can confirm, held or not
    for n, message in enumerate(mailbox.messages):
        home = client_at(app, f"192.0.2.{n}")  # each confirms later, from home
        confirm = link(message, "/appeal/confirm/")
        page = home.get(confirm)
        home.post(confirm, data={"csrf_token": csrf_from(page.text)})

    people = supporters(app)
    assert all(p.confirmed_at is not None for p in people)
    held = [p for p in people if p.held_at is not None]
    hold_after = app.config["APPEAL_HOLD_AFTER"]
    assert len(held) == 100 - hold_after
    # The first ones counted; the flood beyond the threshold waits for a moderator.
    assert {p.email for p in held} == {f"person{n}@example.org" for n in range(hold_after, 100)}
    assert tallies(app)["signatures"] == hold_after
    numbers = client.get("/api/stats.json").get_json()
    assert numbers["signatures"] == hold_after


def test_the_per_client_limit_still_stops_a_script(app, tmp_path):
    script = client_at(limited_app(app, tmp_path, APPEAL_SIGN_RATE_LIMIT="5/minute"), ROOM)
    statuses = [post_signature(script, f"bot{n}@example.org").status_code for n in range(7)]
    assert statuses == [303] * 5 + [429] * 2
    assert len(supporters(app)) == 5
    # Another address is not affected by this one's limit.
    other = client_at(script.application, "192.0.2.1")
    assert post_signature(other, "someone@example.org").status_code == 303


def test_limit_counters_and_logs_hold_no_raw_address(app, tmp_path, private_redis, caplog):
    url, _ = private_redis
    limited = limited_app(app, tmp_path, REDIS_URL=url, APPEAL_SIGN_RATE_LIMIT="2/minute")
    script = client_at(limited, ROOM)
    caplog.set_level(logging.DEBUG)
    statuses = [post_signature(script, f"bot{n}@example.org").status_code for n in range(3)]
    assert statuses == [303, 303, 429]

    keys = [k.decode() for k in redis.Redis.from_url(url).keys("*")]
    assert keys, "the limits were counted in Redis"
    with limited.app_context():
        hashed = hash_ip(ROOM)
        assert all(ROOM not in key for key in keys)
        assert any(hashed in key for key in keys)
        # The database fallback was not needed, and holds nothing either.
        assert db.session.scalars(sa.select(RateLimitCounter.key)).all() == []
        stored = db.session.scalars(sa.select(Supporter.ip_hash)).all()
    assert stored == [hashed, hashed]
    assert "ratelimit" in caplog.text.lower()  # the refusal was logged...
    assert ROOM not in caplog.text  # ...without the address


def test_redis_dying_mid_request_stream_keeps_signing_and_limits(app, tmp_path, private_redis):
    url, process = private_redis
    limited = limited_app(app, tmp_path, REDIS_URL=url, APPEAL_SIGN_RATE_LIMIT="3/minute")
    script = client_at(limited, ROOM)
    assert limited.test_client().get("/healthz").status_code == 200
    assert post_signature(script, "before@example.org").status_code == 303

    process.send_signal(signal.SIGKILL)
    process.wait()

    # No 500: signing goes on, counted in the database, and the limit still bites.
    statuses = [post_signature(script, f"after{n}@example.org").status_code for n in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert len(supporters(app)) == 4
    health = limited.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {
        "status": "degraded",
        "failing": ["redis"],
        "database": "ok",
        "redis": "unreachable",
    }
    # Pages that read the counters still answer.
    assert limited.test_client().get("/").status_code == 200


def _fetch(url: str) -> int:
    request = urllib.request.Request(url, headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_limit_holds_across_four_gunicorn_workers_without_redis(database_url, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "4",
        "GUNICORN_THREADS": "2",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "gunicorn-test-secret-key-0123456789",
        "CAMPAIGN_APPEAL_TOKEN_RATE_LIMIT": "10/minute",
        "CAMPAIGN_MAIL_SEND_INLINE": "false",
    }
    env.pop("REDIS_URL", None)
    log_file = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
        cwd=PROJECT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if server.poll() is not None:
                pytest.fail((tmp_path / "gunicorn.log").read_text())
            try:
                if _fetch(f"{base}/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        # Forty link clicks from one address, eight at a time so every worker gets some.
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(_fetch, [f"{base}/my-data/{TOKEN}{n}" for n in range(40)]))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log_file.close()
    assert statuses.count(429) == 30, statuses
    assert statuses.count(400) == 10
    log = (tmp_path / "gunicorn.log").read_text()
    # The access log has every request, without the link's token or the client address.
    assert log.count('"GET /my-data/[redacted] HTTP/1.1" 4') == 40
    assert TOKEN not in log
    assert "127.0.0.1" not in log.replace(f"127.0.0.1:{port}", "")


def test_expired_database_counters_are_deleted_by_the_scheduler(app):
    now = dt.datetime(2026, 11, 30, 9, 0)
    epoch = now.replace(tzinfo=dt.UTC).timestamp()
    with app.app_context():
        db.session.add_all(
            [
                RateLimitCounter(key="old", hits=3, expires_at=epoch - 1),
                RateLimitCounter(key="live", hits=3, expires_at=epoch + 60),
            ]
        )
        db.session.commit()
        results = run_due_jobs(now)
        assert results["delete-expired-rate-limits"] == "deleted 1 expired rate-limit counters"
        assert db.session.scalars(sa.select(RateLimitCounter.key)).all() == ["live"]
