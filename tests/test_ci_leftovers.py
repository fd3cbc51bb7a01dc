"""CI stops what it starts: .ci/leftovers.py finds what a run left behind, by the run id in
its environment, by the session CI gave it, or by the scratch folder it runs in."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def leftovers(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, ROOT / ".ci/leftovers.py", *args], capture_output=True, text=True
    )


def test_finds_a_process_by_run_id_session_or_folder_and_nothing_once_it_is_gone(tmp_path):
    run_id = uuid.uuid4().hex
    clean_env = {k: v for k, v in os.environ.items() if k != "CI_RUN_ID"}
    marked = subprocess.Popen(
        ["sleep", "300"], env=clean_env | {"CI_RUN_ID": run_id}, start_new_session=True
    )
    in_session = subprocess.Popen(["sleep", "301"], env=clean_env, start_new_session=True)
    in_folder = subprocess.Popen(["sleep", "302"], env=clean_env, cwd=tmp_path)
    try:
        found = leftovers("--run-id", run_id, "--sessions", str(in_session.pid), str(tmp_path))
        assert found.returncode == 1
        pids = {int(line.split()[0]) for line in found.stdout.splitlines()}
        assert pids == {marked.pid, in_session.pid, in_folder.pid}
        assert "sleep 300" in found.stdout
    finally:
        for process in (marked, in_session, in_folder):
            process.kill()
            process.wait()
    gone = leftovers("--run-id", run_id, "--sessions", str(in_session.pid), str(tmp_path))
    assert (gone.returncode, gone.stdout) == (0, "")


def test_does_not_count_itself_or_the_ci_script_that_runs_it(tmp_path):
    run_id = uuid.uuid4().hex
    # The shell stands for .ci/run: it carries the run id and is leftovers.py's parent.
    script = f"{sys.executable} {ROOT / '.ci/leftovers.py'} --run-id {run_id} {tmp_path}"
    result = subprocess.run(
        ["sh", "-c", script],
        env=os.environ | {"CI_RUN_ID": run_id},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, "")
