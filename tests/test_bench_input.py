"""`make bench` given bad input: one clear line, a non-zero exit, nothing left running.

The careless operator: a port already taken, a PostgreSQL that is not there, no wrk and
no way to install it. No speed is measured here (that is the bench's own job).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run as bench_run

ROOT = Path(__file__).resolve().parent.parent


def run_bench(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.run"],
        cwd=ROOT,
        env={**os.environ, "BENCH_QUICK": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_ports(count: int = 4) -> int:
    """The first of `count` consecutive free ports, below the kernel's ephemeral range (so
    no outgoing connection of another test takes one between this check and the bench's)."""
    for first in range(21_000, 30_000, count):
        if all(bench_run.free_port(port) for port in range(first, first + count)):
            return first
    raise RuntimeError("no block of free ports between 21000 and 30000")


def dead_port() -> int:
    """A port nothing listens on (the bench's connection to it is refused)."""
    return free_ports(1)


def fake_wrk(tmp_path: Path) -> str:
    """A PATH whose `wrk` exists but must never run (the bench stops before using it)."""
    wrk = tmp_path / "bin" / "wrk"
    wrk.parent.mkdir()
    wrk.write_text("#!/bin/sh\necho 'wrk must not run in this test' >&2\nexit 3\n")
    wrk.chmod(wrk.stat().st_mode | stat.S_IEXEC)
    return f"{wrk.parent}{os.pathsep}{os.environ.get('PATH', '')}"


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_bench({"BENCH_PORT": str(port), "PATH": fake_wrk(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.strip() == (f"bench: port {port} is in use: set BENCH_PORT to a free range")
    assert "Traceback" not in done.stdout + done.stderr


def test_an_unreachable_postgresql_is_one_line_and_exit_2(tmp_path: Path) -> None:
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{dead_port()}/postgres"
    done = run_bench(
        {
            "BENCH_DATABASE_URL": dead,
            "BENCH_PORT": str(free_ports()),
            "PATH": fake_wrk(tmp_path),
        }
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench: cannot use PostgreSQL")
    assert "Traceback" not in done.stdout + done.stderr


def test_a_database_url_that_is_not_postgresql_is_refused(tmp_path: Path) -> None:
    done = run_bench(
        {
            "BENCH_DATABASE_URL": "mysql://root@127.0.0.1/test",
            "BENCH_PORT": str(free_ports()),
            "PATH": fake_wrk(tmp_path),
        }
    )
    assert done.returncode == 2
    assert "must be a postgresql:// URL" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_no_wrk_and_no_way_to_install_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench_run.shutil, "which", lambda name: None)
    monkeypatch.setattr(bench_run.os, "geteuid", lambda: 1000)  # not root: no apt-get
    with pytest.raises(bench_run.BenchError, match="apt-get install wrk"):
        bench_run.ensure_wrk()
