"""The import graph has no upward edge: each layer imports only the layers below it.

Why a test: the layers are what lets a reader find a rule in one place (docs/ARCHITECTURE.md), and
one convenient import in the wrong direction (a store query reaching for an API schema, an activity
for a router helper) quietly undoes that. Sibling packages of one layer (api and web) do not import
each other either: pages and routes share service functions, never one another.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A module may import its own package and any package of a lower layer.
LAYERS: list[frozenset[str]] = [
    frozenset({"domain"}),
    frozenset({"infra"}),
    frozenset({"store"}),
    frozenset({"integrations"}),
    frozenset({"activities"}),
    frozenset({"workflows"}),
    frozenset({"services"}),
    frozenset({"api", "web"}),
    frozenset({"cli", "entrypoints"}),
    frozenset({"worker"}),  # the root `python worker.py` of the design card
]
LEVEL = {package: level for level, layer in enumerate(LAYERS) for package in layer}
# The app factory is where the two siblings meet: it mounts the pages (web.mount) on the API's app.
# Nothing else in api/ may import web/, and nothing in web/ may import api/.
COMPOSITION_ROOTS: dict[str, frozenset[str]] = {"api/app.py": frozenset({"web"})}


def project_imports(path: Path) -> set[str]:
    """Top-level project packages this file imports (anywhere in it, functions included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in LEVEL)
    return found


def upward_imports() -> list[str]:
    wrong = []
    for package, level in LEVEL.items():
        files = [ROOT / f"{package}.py"] if package == "worker" else sorted((ROOT / package).rglob("*.py"))
        for path in files:
            if not path.exists():
                continue
            allowed = COMPOSITION_ROOTS.get(str(path.relative_to(ROOT)), frozenset())
            for imported in project_imports(path) - {package} - allowed:
                if LEVEL[imported] >= level:
                    wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    return wrong


def test_no_module_imports_a_layer_above_or_beside_it() -> None:
    assert upward_imports() == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    planted = tmp_path / "m.py"
    planted.write_text("import os\nfrom api.app import create_app\nfrom domain import ticket\n")
    assert project_imports(planted) == {"api", "domain"}


def test_activities_holds_only_activity_classes() -> None:
    """Everything in activities/ defines Temporal activities; clients and templates live in integrations/."""
    plain = [
        path.name
        for path in sorted((ROOT / "activities").glob("*.py"))
        if path.name != "__init__.py" and "@activity.defn" not in path.read_text()
    ]
    assert plain == []
