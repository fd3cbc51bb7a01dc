"""The way in: `make` on a fresh machine gives a working .venv or one clear line of what to do.

The careless user here is a newcomer on Debian without python3-venv, or one whose system
Python was upgraded under an old .venv. The Makefile and tools/ensure-venv run for real in a
copy of the repository's build files, with fake Pythons that fail the way Debian's do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_PYTHON = os.path.realpath(sys.executable)
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"

pytestmark = pytest.mark.slow

# What Debian's python3 -m venv prints when python3-venv is not installed (abridged).
DEBIAN_VENV_FAILURE = """\
The virtual environment was not created successfully because ensurepip is not
available.  On Debian/Ubuntu systems, you need to install the python3-venv
package using the following command.

    apt install python{version}-venv

You may need to use sudo with that command.  After installing the python3-venv
package, recreate your virtual environment.
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory with the repository's Makefile and the files its venv steps read."""
    site = tmp_path / "site"
    site.mkdir()
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, site / name)
    shutil.copytree(ROOT / "tools", site / "tools")
    return site


def fake_python(
    tmp_path: Path, name: str, *, hide_ensurepip: bool, venv_fails: bool, version: str = ""
) -> Path:
    """A python3 wrapper: without ensurepip, with `-m venv` stopping half-way, or older."""
    shadow = tmp_path / f"{name}-shadow"
    shadow.mkdir()
    if hide_ensurepip:
        (shadow / "ensurepip.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'ensurepip'\")\n"
        )
    if version:
        major, minor = version.split(".")
        (shadow / "sitecustomize.py").write_text(
            f"import sys\nsys.version_info = ({major}, {minor}, 0, 'final', 0)\n"
        )
    venv_branch = ""
    if venv_fails:
        # As Debian's: the venv is created, then pip cannot be put in it.
        message = DEBIAN_VENV_FAILURE.format(version=VERSION)
        venv_branch = f"""\
if [ "$1" = -m ] && [ "$2" = venv ]; then
    shift 2
    {REAL_PYTHON} -m venv --without-pip "$@" || exit 1
    cat <<'MESSAGE'
{message}MESSAGE
    exit 1
fi
"""
    script = tmp_path / name
    script.write_text(
        "#!/bin/sh\n"
        + venv_branch
        + f'PYTHONPATH={shadow}${{PYTHONPATH:+:$PYTHONPATH}} exec {REAL_PYTHON} "$@"\n'
    )
    script.chmod(0o755)
    return script


def make(site: Path, *args: str, python: Path | str = REAL_PYTHON) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "PYTHON"))}
    return subprocess.run(
        ["make", "--no-print-directory", f"PYTHON={python}", *args],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def assert_working_venv(site: Path) -> None:
    pip = subprocess.run(
        [site / ".venv/bin/python", "-m", "pip", "--version"], capture_output=True, text=True
    )
    assert pip.returncode == 0, pip.stderr
    assert f"(python {VERSION})" in pip.stdout


def test_python_without_ensurepip_creates_nothing_and_names_the_package(tmp_path, site):
    debian = fake_python(tmp_path, "python3", hide_ensurepip=True, venv_fails=True)
    for _ in range(2):  # the second try says the same, it does not trip on a half-made venv
        result = make(site, "run", python=debian)
        assert result.returncode != 0
        [line] = error_lines(result)
        assert f"sudo apt-get install python{VERSION}-venv (or python3-venv)" in line
        assert not (site / ".venv").exists()
        assert "No such file or directory" not in result.stderr

    # Once python3-venv is installed, the next make succeeds.
    assert make(site, "venv").returncode == 0
    assert_working_venv(site)


def test_a_venv_that_fails_half_way_is_removed_and_explained(tmp_path, site):
    # ensurepip importable, yet `-m venv` fails as Debian's does: nothing may stay behind.
    debian = fake_python(tmp_path, "python3", hide_ensurepip=False, venv_fails=True)
    result = make(site, "venv", python=debian)
    assert result.returncode != 0
    [line] = error_lines(result)
    assert f"apt-get install python{VERSION}-venv" in line
    assert not (site / ".venv").exists()


def test_half_made_venv_left_by_an_older_makefile_is_rebuilt_and_reinstalled(site):
    # What the old Makefile left: a venv without pip, and maybe a stale install stamp.
    subprocess.run([REAL_PYTHON, "-m", "venv", "--without-pip", site / ".venv"], check=True)
    (site / ".venv/.installed").touch()

    planned = make(site, "-n", "run")
    assert planned.returncode == 0, planned.stderr
    assert "tools/ensure-venv make" in planned.stdout
    assert "pip install --quiet -c constraints.txt -e ." in planned.stdout

    result = make(site, "venv")
    assert result.returncode == 0, result.stderr
    assert "Rebuilding .venv: it has no pip" in result.stdout
    assert_working_venv(site)


def test_venv_whose_python_was_upgraded_away_is_rebuilt(site):
    # After a system upgrade the venv's interpreter (say 3.10) no longer exists.
    venv = site / ".venv"
    subprocess.run([REAL_PYTHON, "-m", "venv", "--without-pip", venv], check=True)
    for link in (venv / "bin").glob("python*"):
        link.unlink()
        link.symlink_to("/nonexistent/python3.10")
    config = venv / "pyvenv.cfg"
    config.write_text(
        "".join(
            "version = 3.10.13\n" if line.startswith("version") else line
            for line in config.read_text().splitlines(keepends=True)
        )
    )

    result = make(site, "venv")
    assert result.returncode == 0, result.stderr
    assert "Rebuilding .venv: its Python 3.10 no longer runs." in result.stdout
    assert_working_venv(site)


def test_python_older_than_3_11_is_refused_in_one_line(tmp_path, site):
    old = fake_python(
        tmp_path, "python3.10", hide_ensurepip=False, venv_fails=False, version="3.10"
    )
    result = make(site, "run", python=old)
    assert result.returncode != 0
    [line] = error_lines(result)
    assert f"Python 3.11 or newer is needed and '{old}' is 3.10" in line
    assert not (site / ".venv").exists()


def test_a_python_that_does_not_exist_is_named(site):
    result = make(site, "test", python="/nonexistent/python3")
    assert result.returncode != 0
    [line] = error_lines(result)
    assert "'/nonexistent/python3' does not run: install Python 3.11 or newer" in line
    assert not (site / ".venv").exists()
