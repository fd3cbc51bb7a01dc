"""What every fault drill needs: the real site under gunicorn on a throw-away database,
private Redis and SMTP servers it may kill, HTTP clients that remember what was
acknowledged, and a verdict that exits non-zero when anything was lost.

Environment: DRILL_DATABASE_URL (or BENCH_DATABASE_URL) names a PostgreSQL server on
which a throw-away database is made and dropped; otherwise SQLite in a temporary folder.
DRILL_QUICK=1 gives the short form that CI runs.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.run import ROOT, BenchError, Database, Processes, _raise_on_signal, make_database

BIN = Path(sys.executable).parent
QUICK = os.environ.get("DRILL_QUICK", "") not in ("", "0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{log.stem} exited early; see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise BenchError(f"nothing listens on port {port} after {seconds:.0f} s; see {log}")


@dataclass
class Stack:
    """Everything one drill started; `close` stops it all and drops the database."""

    tmp: Path
    keep_logs: bool = False
    processes: Processes = field(default_factory=Processes)
    database: Database | None = None
    env: dict[str, str] = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def setup(self, **settings: str) -> None:
        server = os.environ.get("DRILL_DATABASE_URL") or os.environ.get("BENCH_DATABASE_URL")
        self.database = make_database(self.tmp, server)
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database.site_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SITE_URL": "http://127.0.0.1",
            "CAMPAIGN_ENV": "production",
            "MAIL_TRANSPORT": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": "1",  # nothing listens there until a drill starts its SMTP sink
            "PYTHONDONTWRITEBYTECODE": "1",
            # Every drill client comes from 127.0.0.1: lift the per-address limits and the
            # hold on floods from one address, which would otherwise be what is measured.
            "CAMPAIGN_APPEAL_SIGN_RATE_LIMIT": "10000000 per minute",
            "CAMPAIGN_APPEAL_TOKEN_RATE_LIMIT": "10000000 per minute",
            "CAMPAIGN_APPEAL_HOLD_AFTER": "1000000000",
            **settings,
        }
        self.env.pop("REDIS_URL", None)
        self.flask("db", "upgrade")

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "app", *args], env=self.env, cwd=ROOT,
            capture_output=True, text=True,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise BenchError(f"flask {' '.join(args)} failed: {done.stderr.strip()[-400:]}")
        return done

    def site(self, name: str = "site", **settings: str) -> tuple[str, subprocess.Popen]:
        """The site under gunicorn (the project's gunicorn.conf.py) on a free port."""
        port = free_port()
        env = {**self.env, "BIND": f"127.0.0.1:{port}", **settings}
        process = self.processes.start(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "app:app"],
            env,
            self.log(name),
        )
        wait_port(port, process, self.log(name))
        return f"http://127.0.0.1:{port}", process

    def redis(self) -> tuple[str, subprocess.Popen]:
        """A private redis-server on a free port, never the shared one."""
        if not shutil.which("redis-server"):
            raise BenchError("redis-server is not installed: apt-get install redis-server")
        port = free_port()
        process = self.processes.start(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            dict(os.environ),
            self.log(f"redis-{port}"),
        )  # fmt: skip
        wait_port(port, process, self.log(f"redis-{port}"))
        return f"redis://127.0.0.1:{port}/0", process

    def smtp_sink(self, port: int) -> tuple[Path, subprocess.Popen]:
        """An SMTP server on `port` writing each message it accepts as a JSON line."""
        out = self.tmp / f"smtp-{port}.jsonl"
        process = self.processes.start(
            [sys.executable, "-m", "bench.drills.smtp_sink", str(port), str(out)],
            dict(os.environ),
            self.log(f"smtp-{port}"),
        )
        wait_port(port, process, self.log(f"smtp-{port}"))
        return out, process

    def query(self, sql: str) -> list[tuple]:
        """Rows of a read-only query on the drill's database."""
        assert self.database is not None
        url = self.database.site_url
        if url.startswith("postgresql"):
            import psycopg

            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
                return list(conn.execute(sql).fetchall())
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return list(conn.execute(sql).fetchall())

    def close(self) -> None:
        self.processes.stop_all()
        if self.database and self.database.drop:
            try:
                self.database.drop()
            except Exception as exc:  # noqa: BLE001 - report and go on cleaning up
                print(f"drill: could not drop the throw-away database: {exc}", file=sys.stderr)


@contextmanager
def stack(name: str) -> Iterator[Stack]:
    """A Stack that is always torn down, on error and on SIGINT/SIGTERM too."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_on_signal)
    tmp = Path(tempfile.mkdtemp(prefix=f"campaign-drill-{name}-"))
    current = Stack(tmp)
    ok = False
    try:
        yield current
        ok = not current.keep_logs
    finally:
        current.close()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"drill {name}: logs kept in {tmp}", file=sys.stderr)


# --- clients ---------------------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Visitor:
    """One browser: a keep-alive connection, its session cookie and CSRF token."""

    def __init__(self, base: str, timeout: float = 120):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookie = ""
        self.token = ""

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; a dropped connection is reopened once (status 0: no answer at all)."""
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(
                        self.host, self.port, timeout=self.timeout
                    )
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                answer = {k.lower(): v for k, v in response.getheaders()}
                if response.getheader("Set-Cookie"):
                    self.cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
                if response.will_close:
                    self.conn.close()
                    self.conn = None
                return response.status, answer, data
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2 or method != "GET":
                    return 0, {}, b""  # a POST is never resent: it may have been done
        return 0, {}, b""

    def open_form(self) -> None:
        status, _, page = self.request("GET", "/appeal")
        match = TOKEN.search(page.decode(errors="replace"))
        if status != 200 or not match:
            raise BenchError(f"the appeal page answered {status} without a CSRF token")
        self.token = next(g for g in match.groups() if g)

    def sign(self, email: str) -> int:
        """POST the sign form; the status (303 means acknowledged, 0 no answer)."""
        if not self.token:
            self.open_form()
        body = urllib.parse.urlencode(
            {"csrf_token": self.token, "email": email, "first_name": "Drill",
             "last_name": "Signer", "postcode": "SW1A 1AA", "labour_member": "no"}
        )  # fmt: skip
        status, _, _ = self.request("POST", "/appeal", body)
        return status


def warm_up(base: str, paths: tuple[str, ...] = ("/appeal", "/partials/counters")) -> None:
    """A few requests on parallel connections, so every worker has built the app."""

    def work(i: int) -> None:
        visitor = Visitor(base, timeout=120)
        for path in paths * 3:
            visitor.request("GET", path)

    run_clients(8, work)


def run_clients(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` for each of `count` clients in its own thread; their results."""
    import threading

    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def verdict(name: str, figures: dict[str, Any], problems: list[str]) -> int:
    """Print the figures (one JSON line) and each problem; the exit status."""
    print(f"drill {name}: " + json.dumps(figures, sort_keys=True))
    for problem in problems:
        print(f"drill {name}: LOST: {problem}")
    print(f"drill {name}: {'passed' if not problems else 'FAILED'}")
    return 1 if problems else 0


def main_of(name: str, drill: Callable[[Stack], int]) -> None:
    """Run a drill, turning bad input into one clear line and a non-zero exit."""
    try:
        with stack(name) as s:
            code = drill(s)
            s.keep_logs = code != 0
    except BenchError as exc:
        print(f"drill {name}: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)
