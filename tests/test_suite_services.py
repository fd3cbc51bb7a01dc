"""The suite never "passes" by skipping: a run that asked for PostgreSQL or runs in CI
fails when a service is missing, and PostgreSQL needs no database made by hand.

Each case runs a small selection of the suite in a child pytest, as `make test-postgres`
or CI would, and reads its exit status and summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.services import free_port, skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/x"
# One database test and the Redis tests: enough to see the services used, skipped or failed.
SELECTION = ["tests/test_wording.py::test_template_filter", "tests/counters/test_cache.py"]

pytestmark = pytest.mark.slow


def child_pytest(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CI", "TEST_REQUIRE_SERVICES", "TEST_DATABASE_URL", "TEST_REDIS_URL"}
        and not k.startswith("PYTEST")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SELECTION],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def server_url(database: str) -> str:
    return sa.make_url(POSTGRES).set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def postgres_server() -> None:
    try:
        with sa.create_engine(server_url("postgres")).connect():
            pass
    except sa.exc.OperationalError:
        skip_or_fail("no PostgreSQL server to try against at TEST_DATABASE_URL")


def test_missing_named_database_is_no_obstacle(postgres_server):
    # The database in the URL does not exist: the throw-away one is made via `postgres`.
    result = child_pytest(
        TEST_DATABASE_URL=server_url("no_such_database_here"), TEST_REQUIRE_SERVICES="1"
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_unreachable_postgres_fails_the_run_and_never_skips():
    # Not even on a newcomer's machine: TEST_DATABASE_URL says PostgreSQL is wanted.
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    result = child_pytest(TEST_DATABASE_URL=unreachable)
    assert result.returncode != 0
    assert "cannot connect to that server" in result.stdout
    assert " passed" not in result.stdout.splitlines()[-1]


def test_unreachable_redis_skips_on_a_newcomers_machine():
    result = child_pytest(TEST_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "skipped" in result.stdout.splitlines()[-1]


@pytest.mark.parametrize("strict", [{"CI": "true"}, {"TEST_REQUIRE_SERVICES": "1"}])
def test_unreachable_redis_fails_in_ci_and_under_make_test_postgres(strict):
    result = child_pytest(TEST_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", **strict)
    assert result.returncode == 1
    assert "must not skip: Redis at TEST_REDIS_URL" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
