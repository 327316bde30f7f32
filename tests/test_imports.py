"""The import graph: `etl` and `dashboard` never import each other; they meet on the shared
floor (`itdd.model`, `itdd.method`, `itdd.export`, `itdd.sql`), which imports neither, and the
command line (`itdd.cli`) sits above both."""

from __future__ import annotations

import ast
import subprocess
import sys
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
    for path in sorted((ROOT / folder).rglob("*.py")):  # pages/ and maps/ too
        bad = {m for m in imported_modules(path) if m == forbidden or m.startswith(forbidden + ".")}
        if bad:
            found[path.relative_to(ROOT / folder).as_posix()] = bad
    return found


def test_etl_never_imports_dashboard():
    assert imports_of("etl", "dashboard") == {}


def test_dashboard_never_imports_etl():
    assert imports_of("dashboard", "etl") == {}


def test_only_the_command_line_imports_either_half():
    assert imports_of("itdd", "dashboard") == {"cli.py": {"dashboard.serving", "dashboard.site_pool"}}
    assert set(imports_of("itdd", "etl")) == {"cli.py"}


def test_the_publishing_process_does_not_import_dash():
    """`itdd publish` leaves the pages to rendering processes, forked from a server that imported
    the app: importing it in the publishing process too would cost about 1 CPU s."""
    code = (
        "import sys, itdd.cli, dashboard.site_pool, etl.publish, etl.publish_files; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'plotly', 'flask'}))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]"


def test_the_walk_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from dashboard.serving import serve\n    import dashboard.app\n")
    assert imported_modules(module) == {"dashboard.serving", "dashboard.app"}
