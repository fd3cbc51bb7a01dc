"""The package's imports point down, and none hides inside a function to dodge a cycle.

Read from the source with `ast`, without importing anything: an import that runs only
when a function is called is invisible until then, which is how a cycle stays hidden.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "campaign"

# The features, each a package above the shared modules (campaign/*.py and campaign/mail/).
FEATURES = frozenset(
    {
        "appeal",
        "bulletins",
        "counters",
        "events",
        "groups",
        "news",
        "organisers",
        "paper",
        "programme",
        "share",
    }
)
# The public features, which docs/overview.md promises never import the organisers' room.
PUBLIC_FEATURES = frozenset({"appeal", "counters", "groups", "programme", "share"})

# The functions allowed to import, each with its reason. The app factory is the one place
# that knows every feature; it imports them when an app is built, because every module of
# the package runs campaign/__init__.py first and would otherwise load every feature.
ALLOWED_LOCAL_IMPORTS = {
    ("__init__.py", "_register_blueprints"): "the app factory registering the features",
}


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _imported(path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The dotted names an import statement reaches, relative ones made absolute."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    package = ["campaign", *path.relative_to(PACKAGE).parent.parts]
    base = package[: len(package) - node.level + 1] if node.level else []
    module = ".".join([*base, *([node.module] if node.module else [])])
    yield module
    # `from campaign import appeal` reaches the feature through its name.
    yield from (f"{module}.{alias.name}" for alias in node.names)


def _imports(path: Path) -> Iterator[tuple[str | None, int, list[str]]]:
    """(enclosing function or None, line, names reached) for every import in a module."""

    def walk(node: ast.AST, function: str | None) -> Iterator[tuple[str | None, int, list[str]]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield function, child.lineno, list(_imported(path, child))
            inner = child.name if isinstance(child, FUNCTIONS) else function
            yield from walk(child, inner)

    yield from walk(ast.parse(path.read_text(encoding="utf-8"), str(path)), None)


def _feature(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] == "campaign" and len(parts) > 1 and parts[1] in FEATURES:
        return parts[1]
    return None


def test_the_walk_finds_the_package_and_its_imports() -> None:
    # A walk that found nothing would pass every test below.
    files = {_name(path) for path in _modules()}
    assert {"__init__.py", "tally.py", "mail/services.py", "appeal/routes.py"} <= files
    found = {name for _, _, names in _imports(PACKAGE / "__init__.py") for name in names}
    assert "campaign.appeal" in found


def test_no_import_inside_a_function() -> None:
    local = [
        f"campaign/{_name(path)}:{line} in {function}(): {names[0]}"
        for path in _modules()
        for function, line, names in _imports(path)
        if function is not None and (_name(path), function) not in ALLOWED_LOCAL_IMPORTS
    ]
    assert local == [], "imports inside functions (import at the top instead):\n" + "\n".join(local)


def test_the_allowed_local_imports_are_still_there() -> None:
    # An exception nobody needs any more is taken off the list.
    used = {
        (_name(path), function)
        for path in _modules()
        for function, _, _ in _imports(path)
        if function is not None
    }
    assert set(ALLOWED_LOCAL_IMPORTS) <= used


def test_no_import_placed_below_code() -> None:
    # ruff's E402 catches these; a `noqa` would silence it, most often to dodge a cycle.
    silenced = [
        f"campaign/{_name(path)}:{number}"
        for path in _modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "noqa" in line and "E402" in line
    ]
    assert silenced == []


def _shared_modules() -> list[Path]:
    return [
        path
        for path in _modules()
        if len(path.relative_to(PACKAGE).parts) == 1 or path.relative_to(PACKAGE).parts[0] == "mail"
    ]


@pytest.mark.parametrize("path", _shared_modules(), ids=_name)
def test_shared_modules_import_no_feature(path: Path) -> None:
    upward = [
        f"line {line}: {names[0]}"
        for function, line, names in _imports(path)
        if any(map(_feature, names)) and (_name(path), function) not in ALLOWED_LOCAL_IMPORTS
    ]
    assert upward == []


@pytest.mark.parametrize("feature", sorted(PUBLIC_FEATURES))
def test_public_features_do_not_import_the_organisers_room(feature: str) -> None:
    into_room = [
        f"campaign/{_name(path)}:{line}: {names[0]}"
        for path in sorted((PACKAGE / feature).rglob("*.py"))
        for _, line, names in _imports(path)
        if "organisers" in map(_feature, names)
    ]
    assert into_room == []
