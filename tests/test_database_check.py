"""The start-up check reads the database: a truncated file, garbage bytes, a directory or another
DuckDB file are refused by `itdd serve`, `itdd sources` and `itdd publish`, with exit 1 and a
message (never a traceback; `itdd sources` used to say "not built" with exit 0)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from etl.database_check import database_problem
from itdd.cli import app


@pytest.fixture(scope="module")
def unusable(tmp_path_factory, offline_db: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("unusable")
    data = offline_db.read_bytes()
    files = {
        "truncated": data[: len(data) // 2],
        "garbage": random.Random(15).randbytes(200_000),
        "empty": b"",
    }
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f"{name}.duckdb"
        paths[name].write_bytes(content)
    paths["directory"] = folder / "directory.duckdb"
    paths["directory"].mkdir()
    paths["other"] = folder / "other.duckdb"
    with duckdb.connect(str(paths["other"])) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    paths["older"] = folder / "older.duckdb"  # as built before the schema had a version
    paths["older"].write_bytes(data)
    with duckdb.connect(str(paths["older"])) as con:
        con.execute("DROP TABLE itdd_meta")
    return paths


EXPECTED = {
    "truncated": "damaged: table",
    "garbage": "not a readable DuckDB file",
    "empty": "not a readable DuckDB file",
    "directory": "a directory, not a database file",
    "other": "not an itdd database",
    "older": "built by another version of itdd (database schema 1",
}


@pytest.mark.parametrize("kind", EXPECTED)
def test_database_problem_names_what_is_wrong(unusable: dict[str, Path], kind: str) -> None:
    problem = database_problem(unusable[kind])
    assert problem and EXPECTED[kind] in problem and "itdd build --db" in problem


def test_a_truncation_anywhere_is_refused(offline_db: Path, tmp_path: Path) -> None:
    """Listing the tables passes on most truncated files; reading every table catches them all."""
    data = offline_db.read_bytes()
    cut = tmp_path / "cut.duckdb"
    for n in range(1, 16):
        cut.write_bytes(data[: len(data) * n // 16])
        assert database_problem(cut), f"a file cut at {n}/16 passed the check"
    assert database_problem(offline_db) is None


@pytest.mark.parametrize("command", ["sources", "publish", "serve"])
@pytest.mark.parametrize("kind", ["truncated", "garbage", "directory"])
def test_commands_refuse_an_unusable_database(unusable: dict[str, Path], tmp_path: Path, command: str, kind: str):
    args = [command, "--db", str(unusable[kind])] + (["--out", str(tmp_path / "site")] if command == "publish" else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert type(result.exception) is SystemExit, result.exception  # a message, not a traceback
    assert EXPECTED[kind] in " ".join(result.output.split())  # rich may wrap the message
    assert not (tmp_path / "site").exists()


def test_serve_on_an_older_database_says_rebuild(unusable: dict[str, Path]) -> None:
    """An older file is refused with what to do, which spares the dashboard any shim for it."""
    result = CliRunner().invoke(app, ["serve", "--db", str(unusable["older"])])
    assert result.exit_code == 1, result.output
    assert type(result.exception) is SystemExit, result.exception
    assert f"rebuild with `itdd build --db {unusable['older']}`" in " ".join(result.output.split())
