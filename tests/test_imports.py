"""The import graph: `etl` never imports `dashboard`; both may import the shared `itdd.model`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at top level or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def imports_of(folder: str, forbidden: str) -> dict[str, set[str]]:
    found = {}
    for path in sorted((ROOT / folder).glob("*.py")):
        bad = {m for m in imported_modules(path) if m == forbidden or m.startswith(forbidden + ".")}
        if bad:
            found[path.name] = bad
    return found


def test_etl_never_imports_dashboard():
    assert imports_of("etl", "dashboard") == {}


def test_only_the_command_line_imports_dashboard_and_the_model_neither_half():
    assert imports_of("itdd", "dashboard") == {"cli.py": {"dashboard.serving", "dashboard.static_site"}}
    assert {m for m in imported_modules(ROOT / "itdd" / "model.py") if m.split(".")[0] in ("etl", "dashboard")} == set()


def test_the_walk_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from dashboard.serving import serve\n    import dashboard.app\n")
    assert imported_modules(module) == {"dashboard.serving", "dashboard.app"}
