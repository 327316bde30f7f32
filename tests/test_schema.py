"""The database schema is declared once (itdd.model): a build follows it table by table and
column by column, the ETL's and dashboard's column lists and the Data Package's fields
derive from it, and the README lists its tables (issue #12, item 2)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from itdd import model

ROOT = Path(__file__).resolve().parent.parent


def test_the_offline_build_follows_the_schema(offline_db: Path) -> None:
    with duckdb.connect(str(offline_db), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY table_name, ordinal_position"
        ).fetchall()
        version = con.execute("SELECT schema_version FROM itdd_meta").fetchall()
    built: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        built.setdefault(table, []).append((column, kind))
    for table in model.TABLES:
        assert built.get(table.name) == [(f.name, f.type) for f in table.fields], table.name
    undeclared = set(built) - set(model.TABLE) - set(model.INTERMEDIATE_TABLES)
    assert {t for t in undeclared if not t.startswith("raw_")} == set()
    assert version == [(model.SCHEMA_VERSION,)]


def test_primary_keys_are_declared_fields() -> None:
    for table in model.TABLES:
        assert set(table.primary_key) <= set(table.columns), table.name
        assert len(set(table.columns)) == len(table.columns), table.name


def test_primary_keys_hold_in_the_offline_build(offline_db: Path) -> None:
    with duckdb.connect(str(offline_db), read_only=True) as con:
        for table in model.TABLES:
            if table.primary_key:
                key = ", ".join(table.primary_key)
                dupes = con.execute(
                    f"SELECT count(*) FROM (SELECT {key} FROM {table.name} GROUP BY ALL HAVING count(*) > 1)"
                ).fetchone()
                assert dupes == (0,), table.name


def test_create_statement_from_the_fields() -> None:
    with duckdb.connect() as con:
        con.execute(model.TABLE["indicator_values"].create())
        con.execute(model.TABLE["indicator_values"].create(if_not_exists=True))  # kept, no error
        described = con.execute("DESCRIBE indicator_values").fetchall()
    assert [(r[0], r[1]) for r in described] == [(f.name, f.type) for f in model.TABLE["indicator_values"].fields]


def readme_tables() -> dict[str, list[str]]:
    """{table: [columns]} of the README's "Data model" and "Progress" tables: the first cell's
    names, and the columns of the backticked lists of the second."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        cells = line.split("|")
        if len(cells) < 4 or not cells[1].strip().startswith("`"):
            continue
        names = re.findall(r"`([a-z_<>]+)`", cells[1])
        groups = re.findall(r"`([^`]+)`", cells[2])
        lists = [g for i, g in enumerate(groups) if "," in g or (i == 0 and cells[2].strip().startswith(f"`{g}`"))]
        columns = [c.strip() for g in lists for c in g.split(",")]
        for name in names:
            found[name] = columns if len(names) == 1 else []
    return found


@pytest.mark.parametrize("table", [t.name for t in model.TABLES])
def test_the_readme_lists_each_table_with_its_columns(table: str) -> None:
    listed = readme_tables()
    assert table in listed, f"README's data model does not list {table}"
    if listed[table]:
        assert listed[table] == model.columns(table)


def test_the_referential_rows_hold_a_column_per_attribute() -> None:
    from etl.catalogue_sources import Attribute

    assert model.columns("referential_rows") == ["source_id", "level", "code", *(a.value for a in Attribute)]


def test_intermediate_tables_are_declared_and_not_required() -> None:
    assert "observations" in model.INTERMEDIATE_TABLES and "code_map" in model.INTERMEDIATE_TABLES
    assert not set(model.INTERMEDIATE_TABLES) & set(model.REQUIRED_TABLES)


def test_a_build_without_composites_peers_or_policies_still_has_every_table(tmp_path: Path, catalogue) -> None:
    """Readers (the dashboard) have no fallback for a missing table: a build writes each one,
    empty where its catalogue gives it no row."""
    from etl.build import build

    kept = [catalogue.indicator(i) for i in ("population", "densite_population")]
    small = catalogue.model_copy(update={"indicators": kept, "peers": None})
    db = tmp_path / "small.duckdb"
    build(small, db, offline=True, cache_dir=tmp_path / "cache")
    with duckdb.connect(str(db), read_only=True) as con:
        # tables and views (`indicator_status` is one)
        tables = {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        empty = {t for t in ("composite_components", "indicator_peer_comparison", "policy_effects")
                 if con.execute(f"SELECT count(*) FROM {t}").fetchone() == (0,)}  # fmt: skip
    assert set(model.TABLE) <= tables
    assert empty == {"composite_components", "indicator_peer_comparison", "policy_effects"}
