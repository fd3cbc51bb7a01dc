"""Two gunicorn servers of the project run side by side under one user, neither disturbing
the other (gunicorn 25.1+ would otherwise share one control socket per user)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"  # the venv's, beside its python

pytestmark = pytest.mark.slow


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until_healthy(port: int, server: subprocess.Popen, log: Path) -> None:
    for _ in range(240):
        if healthy(port):
            return
        assert server.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        time.sleep(0.25)
    raise AssertionError(f"gunicorn on {port} never answered:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """TERM the server's whole process group (arbiter and workers), KILL if it lingers."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_two_servers_side_by_side_without_a_shared_control_socket(tmp_path):
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    servers: list[tuple[int, subprocess.Popen, Path]] = []
    try:
        for name in ("first", "second"):
            port, log = free_port(), tmp_path / f"{name}.log"
            env = os.environ | {
                "HOME": str(home),
                "XDG_RUNTIME_DIR": str(runtime),
                "BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": "2",
                "SECRET_KEY": "two-servers-test-secret",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'campaign.db'}",
            }
            with log.open("wb") as out:
                server = subprocess.Popen(
                    [GUNICORN, "-c", "gunicorn.conf.py", "app:app"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            servers.append((port, server, log))
        for port, server, log in servers:
            wait_until_healthy(port, server, log)

        # No control socket for another server of this user to take over or delete.
        assert list(runtime.iterdir()) == []
        assert not (home / ".gunicorn").exists()
        for _, _, log in servers:
            assert "Control socket" not in log.read_text()

        # Stopping one leaves the other serving.
        (first_port, first, _), (second_port, _, _) = servers
        stop(first)
        assert not healthy(first_port)
        assert healthy(second_port)
    finally:
        for _, server, _ in servers:
            stop(server)
