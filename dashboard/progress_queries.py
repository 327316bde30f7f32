"""Read-only queries over progress, positions against references, peers and policies.

Like `dashboard.queries`, the functions take an open DuckDB connection and return pandas
objects; a territory's rows come from the `dashboard.batched` query of a list of territories.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard import batched
from itdd.model import columns as table_columns
from itdd.sql import named_rows

# What the pages read of `indicator_progress` (itdd.model): all but the method's internals.
PROGRESS_COLUMNS = [
    c
    for c in table_columns("indicator_progress")
    if c not in ("polarity", "signed_cagr", "points", "incomplete_points")
]


def progress_rows(
    con: duckdb.DuckDBPyConnection, level: str, code: str | None = None, indicator_id: str | None = None
) -> pd.DataFrame:
    """Rows of `indicator_progress` for a level, optionally one territory and/or one indicator.

    Context indicators keep their row (category NULL).
    """
    return con.execute(
        f"SELECT {', '.join(PROGRESS_COLUMNS)} FROM indicator_progress "  # noqa: S608 (column names from itdd.model; values as parameters)
        "WHERE level = $1 AND ($2 IS NULL OR code = $2) AND ($3 IS NULL OR indicator_id = $3) "
        "ORDER BY indicator_id, code",
        [level, code, indicator_id],
    ).df()


def category_rows(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str) -> pd.DataFrame:
    """The progress category of the territories of a level for one indicator (code, category;
    NULL for a context indicator): what the map colours and hovers, without the rest of the rows."""
    return con.execute(
        "SELECT code, category FROM indicator_progress WHERE indicator_id = $1 AND level = $2",
        [indicator_id, level],
    ).df()


def progress_labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`progress_categories` (category, label_fr, label_en, rule_fr, rule_en), in rank order."""
    columns = ["category", "label_fr", "label_en", "rule_fr", "rule_en"]
    return con.execute(f"SELECT {', '.join(columns)} FROM progress_categories ORDER BY rank").df()  # noqa: S608 (column names from code)


def progress_summary(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """Per finality and category, how many indicators of a territory (from `progress_summary`)."""
    return batched.one(batched.progress_summary(con, [(level, code)]))


def positions(con: duckdb.DuckDBPyConnection, values: pd.DataFrame, level: str, code: str) -> pd.DataFrame:
    """A territory's positions against its references (`batched.positions`), over `values`."""
    return batched.one(batched.positions(con, values, [(level, code)]))


def composite_contributions(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, code: str) -> pd.DataFrame:
    """The latest index year of a territory: each component with its value, score, weight and contribution."""
    return con.execute(
        """
        SELECT c.year, c.component_id, i.label_fr, i.label_en, i.unit, c.component_year, c.value,
               c.normalised, c.weight, c.contribution
        FROM composite_components AS c LEFT JOIN indicators AS i ON i.indicator_id = c.component_id
        WHERE c.indicator_id = $1 AND c.level = $2 AND c.code = $3
          AND c.year = (SELECT max(year) FROM composite_components
                        WHERE indicator_id = $1 AND level = $2 AND code = $3)
        ORDER BY c.contribution DESC NULLS LAST, c.component_id
        """,
        [indicator_id, level, code],
    ).df()


def peer_comparisons(con: duckdb.DuckDBPyConnection, level: str, code: str) -> dict:
    """{indicator_id: row of indicator_peer_comparison} for one territory."""
    rows = batched.one(batched.peer_comparisons(con, [(level, code)]), keep_key=True)
    return {r.indicator_id: r for r in named_rows(rows)}


def peer_verdicts(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str) -> pd.DataFrame:
    """Every territory's row of indicator_peer_comparison for one indicator and level (none without peers)."""
    return con.execute(
        "SELECT * FROM indicator_peer_comparison WHERE indicator_id = ? AND level = ? ORDER BY code",
        [indicator_id, level],
    ).df()


def territory_peers(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """A territory's comparable territories, nearest first, with names."""
    return batched.one(batched.territory_peers(con, [(level, code)]), batched.PEER_KEY)


def peer_features(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """The features the peers of a level were chosen on (used or not), with the indicators' labels."""
    return con.execute(
        """SELECT f.indicator_id, f.year, f.used, i.label_fr, i.label_en FROM peer_features f
        LEFT JOIN indicators i USING (indicator_id) WHERE f.level = ? ORDER BY f.indicator_id""",
        [level],
    ).df()


def policies_of(con: duckdb.DuckDBPyConnection, level: str, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The declared policies of a territory (policy_effects rows) and their series."""
    effects = batched.one(batched.policy_effects(con, [(level, code)]), keep_key=True)
    return effects, batched.one(batched.policy_series(con, [(level, code)]))


def peer_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """How many peers a territory has, and how many with data a comparison needs (0 without peers)."""
    row = con.execute("SELECT k, min_peers FROM peer_settings").fetchone()
    return {"k": row[0], "min_peers": row[1]} if row else {"k": 0, "min_peers": 0}


def progress_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """The catalogue's progress settings the build used: base_year, tolerance_relative, tolerance_absolute."""
    row = con.execute("SELECT base_year, tolerance_relative, tolerance_absolute FROM progress_settings").fetchone()
    return dict(zip(("base_year", "tolerance_relative", "tolerance_absolute"), row, strict=True))
