"""Installs are reproducible: every dependency pyproject.toml names is pinned in constraints.txt."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def pins() -> dict[str, Version]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line)
            assert match, f"constraints.txt: {line!r} is not an exact pin"
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def test_every_dependency_is_pinned_within_what_pyproject_allows():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    pinned = pins()
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside {requirement}: run `make lock`"
        )


def test_pip_and_gunicorn_are_pinned():
    # pip itself and the server's version move under us too (gunicorn 25.1 added a
    # per-user control socket); both change only through `make lock`.
    assert {"pip", "setuptools", "gunicorn"} <= pins().keys()
