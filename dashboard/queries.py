"""Read-only queries over the itdd DuckDB file.

The functions take an open DuckDB connection and return pandas objects, so
they can be tested against a synthetic database. `Database` opens the file
read-only, once per version of the file: a rebuild that atomically swaps the
file is picked up without restarting the server, and never while a request
still reads the previous one.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard import batched, search
from dashboard.collation import french_key
from itdd.model import LEVELS, sql_level_list
from itdd.model import columns as table_columns
from itdd.sql import literal

log = logging.getLogger(__name__)

ATTACHED = "itdd"  # the catalog name of the attached file


def list_indicators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Catalogue rows of the indicators that have at least one non-NULL value."""
    return con.execute(
        """
        SELECT i.*
        FROM indicators AS i
        WHERE i.indicator_id IN (SELECT DISTINCT indicator_id FROM indicator_values WHERE value IS NOT NULL)
        ORDER BY i.finality, i.label_fr, i.indicator_id
        """
    ).df()


def available_years(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str) -> list[int]:
    """Years (ascending) with at least one non-NULL value at this level."""
    rows = con.execute(
        """
        SELECT DISTINCT year FROM indicator_values
        WHERE indicator_id = ? AND level = ? AND value IS NOT NULL
        ORDER BY year
        """,
        [indicator_id, level],
    ).fetchall()
    return [int(year) for (year,) in rows]


def indicator_values(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, year: int) -> pd.DataFrame:
    """Values of one indicator for one level and year, with territory names.

    NULL values stay NULL (NaN): missing and secret data are not zero.
    """
    return con.execute(
        """
        SELECT v.code, coalesce(t.name, v.code) AS name, v.value,
               v.numerator, v.denominator, v.status
        FROM indicator_values AS v
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE v.indicator_id = ? AND v.level = ? AND v.year = ?
        ORDER BY v.code
        """,
        [indicator_id, level, int(year)],
    ).df()


def list_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Sources that went into this build, for attribution (producer, title in French and English, url, licence)."""
    return con.execute(
        "SELECT source_id, producer, title, title_en, url, licence FROM sources "
        "WHERE source_id IN (SELECT source_id FROM provenance) ORDER BY source_id"
    ).df()


def geometries_geojson(con: duckdb.DuckDBPyConnection, level: str = "commune") -> dict:
    """All geometries of a level as a FeatureCollection whose feature id is the code."""
    rows = con.execute(
        """
        SELECT g.code, coalesce(t.name, g.code) AS name, g.geojson
        FROM geometries AS g
        LEFT JOIN territories AS t ON t.level = g.level AND t.code = g.code
        WHERE g.level = ?
        ORDER BY g.code
        """,
        [level],
    ).fetchall()
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name},
            "geometry": json.loads(geometry),
        }
        for code, name, geometry in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def has_progress(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the build assessed any progress (every build has the table; a catalogue may give it no row)."""
    return con.execute("SELECT EXISTS (SELECT 1 FROM indicator_progress)").fetchone()[0]


def catalogue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every catalogue row, with `has_values` (False for indicators not built yet)."""
    return con.execute(
        """
        SELECT i.*, i.indicator_id IN (
            -- not a correlated EXISTS: DuckDB would hash every value (out of memory at national size)
            SELECT DISTINCT indicator_id FROM indicator_values WHERE value IS NOT NULL
        ) AS has_values
        FROM indicators AS i
        ORDER BY i.finality, i.label_fr, i.indicator_id
        """
    ).df()


def list_territories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All territories (level, code, name), by level, then names in French order (Étauliers before Yvrac)."""
    rows = con.execute("SELECT level, code, name FROM territories").df()
    return rows.sort_values(
        ["level", "name", "code"], key=lambda column: column.map(french_key) if column.name == "name" else column
    ).reset_index(drop=True)


def level_names(con: duckdb.DuckDBPyConnection, level: str) -> list[str]:
    """The names of a level's territories in French order (as `list_territories` orders them), without
    sorting every territory of a national build."""
    rows = con.execute("SELECT name, code FROM territories WHERE level = ?", [level]).fetchall()
    return [name for name, _ in sorted(rows, key=lambda row: (french_key(row[0]), row[1]))]


def territory_search_index(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What the territory search reads (`dashboard.search.search_index`): names and codes, with
    La Poste's postcodes and the COG history's former names where the build has them."""
    postcodes = con.execute("SELECT code, postcode FROM commune_postcodes ORDER BY code, postcode").df()
    former = con.execute(
        "SELECT DISTINCT new_code AS code, old_name FROM commune_changes WHERE old_name IS NOT NULL ORDER BY 1, 2"
    ).df()
    return search.search_index(list_territories(con), postcodes, former)


def build_territory(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The territory the database was built for: level, code, name, tncc (INSEE's article type)."""
    row = con.execute("SELECT level, code, name, tncc FROM build_territory").fetchone()
    return dict(zip(("level", "code", "name", "tncc"), row, strict=True)) if row else None


def national_scope(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The région and France sums of national files: per source, variable and territory, the
    years, the départements counted of those expected and the ones the file lacks."""
    return con.execute(
        """
        SELECT s.source_id, s.variable, s.level, s.code, t.name,
               string_agg(DISTINCT s.year::VARCHAR, ', ' ORDER BY s.year::VARCHAR) AS years,
               s.departements, s.expected, array_to_string(s.missing, ', ') AS missing
        FROM national_scope AS s JOIN territories AS t ON t.level = s.level AND t.code = s.code
        GROUP BY s.source_id, s.variable, s.level, s.code, t.name, s.departements, s.expected, s.missing
        ORDER BY s.source_id, s.variable, list_position(['region', 'france'], s.level), s.code
        """
    ).df()


def territory_name(con: duckdb.DuckDBPyConnection, level: str, code: str) -> str | None:
    row = con.execute("SELECT name FROM territories WHERE level = ? AND code = ?", [level, code]).fetchone()
    return row[0] if row else None


def map_values(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, year: int) -> pd.DataFrame:
    """Values for one level and year, with the previous available year's value.

    Columns: code, name, value, status, prev_year, prev_value. Territories of the
    level without a row come with status 'missing', so nothing is silently dropped.
    """
    return con.execute(
        """
        WITH prev AS (
            SELECT max(year) AS year FROM indicator_values
            WHERE indicator_id = $1 AND level = $2 AND year < $3 AND value IS NOT NULL
        )
        SELECT t.code, t.name, v.value, coalesce(v.status, 'missing') AS status,
               (SELECT year FROM prev) AS prev_year, p.value AS prev_value
        FROM territories AS t
        LEFT JOIN indicator_values AS v
          ON v.indicator_id = $1 AND v.level = t.level AND v.code = t.code AND v.year = $3
        LEFT JOIN indicator_values AS p
          ON p.indicator_id = $1 AND p.level = t.level AND p.code = t.code
         AND p.year = (SELECT year FROM prev)
        WHERE t.level = $2
        ORDER BY t.code
        """,
        [indicator_id, level, int(year)],
    ).df()


def territory_values(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Every indicator value of the given (level, code) territories, by year."""
    if not territories:
        return pd.DataFrame(columns=["indicator_id", "level", "code", "year", "value", "status"])
    wanted = pd.DataFrame(territories, columns=["level", "code"])  # noqa: F841 (read by DuckDB)
    return con.execute(
        """
        SELECT v.indicator_id, v.level, v.code, v.year, v.value, v.status
        FROM indicator_values AS v JOIN wanted AS w USING (level, code)
        ORDER BY v.indicator_id, v.level, v.code, v.year
        """
    ).df()


LEVEL_ORDER = LEVELS  # commune up to France


def reference_territories(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """The enclosing EPCI, département, région and France (and France métropolitaine, which
    some producers publish instead) of a territory, where they exist.

    An EPCI's département is the one of most of its member communes.
    """
    return _one(batched.reference_territories(con, [(level, code)]), (level, code), REFERENCE_KEY)


def indicator_series(
    con: duckdb.DuckDBPyConnection, indicator_id: str, territories: list[tuple[str, str]]
) -> pd.DataFrame:
    """Values of one indicator over the years for the given territories, with names."""
    return territories_series(con, territories, indicator_id).drop(columns="indicator_id")


def territories_series(
    con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]], indicator_id: str | None = None
) -> pd.DataFrame:
    """Values of every indicator (or one) over the years for the given territories, with names,
    ordered by level, code, indicator and year."""
    if not territories:
        return pd.DataFrame(columns=["indicator_id", "level", "code", "name", "year", "value", "status"])
    wanted = pd.DataFrame(territories, columns=["level", "code"])  # noqa: F841 (read by DuckDB)
    return con.execute(
        """
        SELECT v.indicator_id, v.level, v.code, coalesce(t.name, v.code) AS name, v.year, v.value, v.status
        FROM indicator_values AS v JOIN wanted AS w USING (level, code)
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE $indicator IS NULL OR v.indicator_id = $indicator
        ORDER BY v.level, v.code, v.indicator_id, v.year
        """,
        {"indicator": indicator_id},
    ).df()


def with_values(con: duckdb.DuckDBPyConnection, indicator_id: str, territories: list[tuple[str, str]]) -> set:
    """The (level, code) of the given territories that have a value of the indicator."""
    if not territories:
        return set()
    wanted = pd.DataFrame(territories, columns=["level", "code"])  # noqa: F841 (read by DuckDB)
    rows = con.execute(
        "SELECT DISTINCT v.level, v.code FROM indicator_values AS v JOIN wanted AS w USING (level, code) "
        "WHERE v.indicator_id = ? AND v.value IS NOT NULL",
        [indicator_id],
    ).fetchall()
    return set(rows)


def epci_neighbours(con: duckdb.DuckDBPyConnection, commune: str) -> list[str]:
    """The communes of the commune's EPCI (itself included; empty without an EPCI)."""
    return batched.epci_neighbours(con, [("commune", commune)])["neighbour"].tolist()


def epcis_of_departement(con: duckdb.DuckDBPyConnection, departement: str) -> list[str]:
    """The EPCIs with a member commune in the département."""
    rows = con.execute(
        """
        SELECT DISTINCT e.parent_code FROM territory_links AS d
        JOIN territory_links AS e ON e.child_level = 'commune' AND e.child_code = d.child_code AND e.parent_level = 'epci'
        WHERE d.child_level = 'commune' AND d.parent_level = 'departement' AND d.parent_code = ?
        ORDER BY 1
        """,
        [departement],
    ).fetchall()
    return [code for (code,) in rows]


def largest_territories(con: duckdb.DuckDBPyConnection, indicator_id: str, per_level: int) -> pd.DataFrame:
    """The `per_level` communes and EPCIs with the largest value of the indicator in its latest year
    at those levels (level, code, value, name), largest first."""
    return con.execute(
        """
        WITH found AS (
            SELECT level, code, year, value FROM indicator_values
            WHERE indicator_id = $1 AND level IN ('commune', 'epci')
        )
        SELECT f.level, f.code, f.value, t.name
        FROM found AS f JOIN territories AS t USING (level, code)
        WHERE f.year = (SELECT max(year) FROM found) AND f.value IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY f.level ORDER BY f.value DESC, f.code) <= $2
        ORDER BY f.value DESC, f.code
        """,
        [indicator_id, per_level],
    ).df()


def departements_of_region(con: duckdb.DuckDBPyConnection, region: str) -> list[str]:
    """The départements of a région."""
    rows = con.execute(
        "SELECT child_code FROM territory_links WHERE child_level = 'departement' AND parent_level = 'region' "
        "AND parent_code = ? ORDER BY 1",
        [region],
    ).fetchall()
    return [code for (code,) in rows]


def indicator_table(con: duckdb.DuckDBPyConnection, indicator_id: str) -> pd.DataFrame:
    """Every value of one indicator, all levels and years (for downloads)."""
    return con.execute(
        f"""
        SELECT v.level, v.code, coalesce(t.name, v.code) AS name, v.year, v.value,
               v.numerator, v.denominator, v.status
        FROM indicator_values AS v
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE v.indicator_id = ?
        ORDER BY list_position({sql_level_list()}, v.level), v.code, v.year
        """,  # noqa: S608 (column names and level list from code; values as parameters)
        [indicator_id],
    ).df()


def all_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every declared source with its latest fetch (NULL when it did not go into the build),
    its edition and whether its layout was checked on a real file (`verified`)."""
    return con.execute(
        """
        SELECT s.source_id, s.producer, s.title, s.title_en, s.url, s.licence, max(p.fetched_at) AS fetched_at,
               s.edition, s.verified_sha256 IS NOT NULL OR s.from_snapshot AS verified
        FROM sources AS s LEFT JOIN provenance AS p USING (source_id)
        GROUP BY ALL ORDER BY s.source_id
        """
    ).df()


def indicator_gaps(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """{(indicator_id, level): (reason, sources not loaded)} for declared levels without any value."""
    rows = con.execute("SELECT indicator_id, level, reason, sources FROM indicator_gaps").fetchall()
    return {(i, lv): (reason, list(sources or [])) for i, lv, reason, sources in rows}


# DuckDB's memory per open version of the file when serving (`create_app`): each worker process
# has its own buffers, which would otherwise keep what the pages read of a national file (2.3 GB
# for 2 workers). `itdd publish` reads batches of territories at once and keeps DuckDB's default.
SERVING_MEMORY_LIMIT = "128MB"
FileVersion = tuple[int, int, int]  # inode, mtime in ns, size: an atomic rename gives a new inode


def file_version(path: Path) -> FileVersion:
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class _Version:
    """One version of the file, opened read-only, with the number of its current users.

    The file is attached to a private in-memory DuckDB instance: `duckdb.connect(path)` would
    share one instance per path in the process, so a swapped-in file could not be opened while
    the previous one is still in use.
    """

    def __init__(self, path: Path, key: FileVersion, memory_limit: str | None = None) -> None:
        self.key = key
        config: dict[str, str | bool | int | float | list[str]] = {
            "autoinstall_known_extensions": False
        }  # never download
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.con = duckdb.connect(":memory:", config=config)
        self.con.execute(f"ATTACH {literal(str(path))} AS {ATTACHED} (TYPE duckdb, READ_ONLY)")
        self.users = 0
        self.retired = False  # a newer version was opened: close when the last user is done
        self.geojson: dict[str, dict] = {}
        self.results = ResultCache()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self.con.cursor()
        cursor.execute(f"USE {ATTACHED}")  # a cursor does not inherit the connection's USE
        return cursor


class ResultCache:
    """Results of the small catalogue queries (`KEPT_QUERIES`) on one version of the file, the
    least recently used dropped beyond `size`: their arguments may come from any request."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.found: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bool, Any]:
        with self.lock:
            if key not in self.found:
                return False, None
            self.found.move_to_end(key)
            return True, self.found[key]

    def put(self, key: tuple, value: object) -> None:
        with self.lock:
            self.found[key] = value
            if len(self.found) > self.size:
                self.found.popitem(last=False)


class _Versions:
    """The open versions of one file: the current one, and retired ones until their last user is done."""

    def __init__(self, path: Path, memory_limit: str | None = None) -> None:
        self.path, self.memory_limit = path, memory_limit
        self.lock = threading.Lock()
        self.current: _Version | None = None
        self.open: set[_Version] = set()  # the current version and retired ones still in use
        self.opened = 0  # versions opened so far (for logs)

    def acquire(self) -> _Version:
        key = file_version(self.path)
        with self.lock:
            version = self.current
            if version is None or version.key != key:
                # Opened under the lock, so that concurrent requests after a swap open it once.
                version = _Version(self.path, key, self.memory_limit)
                self.open.add(version)
                self.opened += 1
                log.info("opened %s read-only (version %d)", self.path, self.opened)
                if self.current is not None:
                    self.current.retired = True
                    self._close_if_unused(self.current)
                self.current = version
            version.users += 1
            return version

    def release(self, version: _Version) -> None:
        with self.lock:
            version.users -= 1
            self._close_if_unused(version)

    def _close_if_unused(self, version: _Version) -> None:
        if version.retired and version.users == 0:
            version.con.close()
            self.open.discard(version)


class Database:
    """The DuckDB file, read-only, through one connection per version of the file.

    Each version (inode, mtime, size) is opened once and shared; after a rebuild swapped a new
    file in, the next user opens it, and the previous version is closed when its last user is
    done: a reload never closes a connection in use. `pinned()` gives a copy bound to one
    version and one cursor (the dashboard takes one per request, see `dashboard.context`), so
    that every query of a request reads the same file.
    """

    def __init__(self, path: Path | str, memory_limit: str | None = None) -> None:
        """`memory_limit`: DuckDB's, per open version (its default when None)."""
        self.path = Path(path)
        self._versions = _Versions(self.path, memory_limit)
        self._pin: _Version | None = None
        self._cursor: duckdb.DuckDBPyConnection | None = None

    def pinned(self) -> Database:
        """A copy that reads the current version until `release()`; not for use by several threads at once."""
        pinned = copy.copy(self)
        pinned._pin = self._versions.acquire()
        return pinned

    def release(self) -> None:
        """End a `pinned()` copy: its cursor is closed, and its version if it was the last user of a retired one."""
        if self._pin is None:
            return
        pin, cursor = self._pin, self._cursor
        self._pin = self._cursor = None
        if cursor is not None:
            cursor.close()
        self._versions.release(pin)

    def open_versions(self) -> int:
        """How many versions of the file are open: 1 once every request on a replaced one is done."""
        with self._versions.lock:
            return len(self._versions.open)

    @property
    def version(self) -> FileVersion:
        """The version a pinned copy reads, else the file's current version."""
        return self._pin.key if self._pin is not None else file_version(self.path)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._pin is not None:
            if self._cursor is None:  # on first use: a request answered from the response cache needs none
                with self._versions.lock:
                    self._cursor = self._pin.cursor()
            yield self._cursor
            return
        version = self._versions.acquire()
        try:
            with self._versions.lock:
                cursor = version.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            self._versions.release(version)

    def indicators(self) -> pd.DataFrame:
        return self.run(list_indicators)

    def years(self, indicator_id: str, level: str) -> list[int]:
        return self.run(available_years, indicator_id, level)

    def values(self, indicator_id: str, level: str, year: int) -> pd.DataFrame:
        return self.run(indicator_values, indicator_id, level, year)

    def sources(self) -> pd.DataFrame:
        return self.run(list_sources)

    def run(self, query, *args):
        """Run one of this module's query functions on a read-only connection (the pinned one, if any).

        The file does not change within a version: a pinned copy keeps the results of the small
        catalogue queries (`KEPT_QUERIES`) for the version, and gives each caller its own copy.
        """
        key = (query.__name__, args)
        if self._pin is None or query not in KEPT_QUERIES or not _hashable(key):
            with self.connect() as con:
                return query(con, *args)
        hit, found = self._pin.results.get(key)
        if not hit:
            with self.connect() as con:
                found = query(con, *args)
            self._pin.results.put(key, found)
        return found.copy() if isinstance(found, pd.DataFrame) else copy.deepcopy(found)

    def geojson(self, level: str = "commune") -> dict:
        """Geometries of a level, parsed once per version of the file."""
        if self._pin is None:
            with self._pinned_once() as pinned:
                return pinned.geojson(level)
        cache = self._pin.geojson
        if level not in cache:
            # Two requests may both parse it after a swap; the result is the same.
            collection = self.run(geometries_geojson, level)
            log.info("loaded %d %s geometries from %s", len(collection["features"]), level, self.path)
            cache[level] = collection
        return cache[level]

    @contextmanager
    def _pinned_once(self) -> Iterator[Database]:
        pinned = self.pinned()
        try:
            yield pinned
        finally:
            pinned.release()


def indicator_levels(con: duckdb.DuckDBPyConnection, indicator_id: str) -> list[str]:
    """Levels with at least one non-NULL value for this indicator, from commune up."""
    rows = con.execute(
        "SELECT DISTINCT level FROM indicator_values WHERE indicator_id = ? AND value IS NOT NULL", [indicator_id]
    ).fetchall()
    found = {level for (level,) in rows}
    return [level for level in LEVEL_ORDER if level in found] + sorted(found - set(LEVEL_ORDER))


def geometry_levels(con: duckdb.DuckDBPyConnection) -> list[str]:
    found = {level for (level,) in con.execute("SELECT DISTINCT level FROM geometries").fetchall()}
    return [level for level in LEVEL_ORDER if level in found]


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


def progress_labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`progress_categories` (category, label_fr, label_en, rule_fr, rule_en), in rank order."""
    columns = ["category", "label_fr", "label_en", "rule_fr", "rule_en"]
    return con.execute(f"SELECT {', '.join(columns)} FROM progress_categories ORDER BY rank").df()  # noqa: S608 (column names from code)


def progress_summary(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """Per finality and category, how many indicators of a territory (from `progress_summary`)."""
    return _one(batched.progress_summary(con, [(level, code)]), (level, code))


def status_rows(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """A territory's position against each reference, per indicator and year (`indicator_status`)."""
    return _one(batched.status_rows(con, [(level, code)]), (level, code))


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
    rows = _one(batched.peer_comparisons(con, [(level, code)]), (level, code), keep_key=True)
    return {r.indicator_id: r for r in rows.itertuples()}


def peer_verdicts(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str) -> pd.DataFrame:
    """Every territory's row of indicator_peer_comparison for one indicator and level (none without peers)."""
    return con.execute(
        "SELECT * FROM indicator_peer_comparison WHERE indicator_id = ? AND level = ? ORDER BY code",
        [indicator_id, level],
    ).df()


def territory_peers(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """A territory's comparable territories, nearest first, with names."""
    return _one(batched.territory_peers(con, [(level, code)]), (level, code), PEER_KEY)


def peer_features(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """The features the peers of a level were chosen on (used or not), with the indicators' labels."""
    return con.execute(
        """SELECT f.indicator_id, f.year, f.used, i.label_fr, i.label_en FROM peer_features f
        LEFT JOIN indicators i USING (indicator_id) WHERE f.level = ? ORDER BY f.indicator_id""",
        [level],
    ).df()


def policies_of(con: duckdb.DuckDBPyConnection, level: str, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The declared policies of a territory (policy_effects rows) and their series."""
    effects = _one(batched.policy_effects(con, [(level, code)]), (level, code), keep_key=True)
    return effects, _one(batched.policy_series(con, [(level, code)]), (level, code))


PEER_KEY = ["level", "territory_code"]  # batched.territory_peers: `code` is the peer's
REFERENCE_KEY = ["territory_level", "territory_code"]  # batched.reference_territories: `level`, `code` the reference's


def _one(frame: pd.DataFrame, territory: tuple[str, str], key: list[str] | None = None, keep_key: bool = False):
    """One territory's rows of a `batched` query, as a one-territory query gives them."""
    part = batched.split(frame, key, keep_key).get(territory)
    return batched.empty_part(frame, key, keep_key) if part is None else part


def peer_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """How many peers a territory has, and how many with data a comparison needs (0 without peers)."""
    row = con.execute("SELECT k, min_peers FROM peer_settings").fetchone()
    return {"k": row[0], "min_peers": row[1]} if row else {"k": 0, "min_peers": 0}


def progress_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """The catalogue's progress settings the build used: base_year, tolerance_relative, tolerance_absolute."""
    row = con.execute("SELECT base_year, tolerance_relative, tolerance_absolute FROM progress_settings").fetchone()
    return dict(zip(("base_year", "tolerance_relative", "tolerance_absolute"), row, strict=True))


# Small results that many requests ask for again: kept per version of the file by `Database.run`.
KEPT_QUERIES = frozenset(
    {
        list_indicators, catalogue, list_territories, level_names, list_sources, all_sources, indicator_gaps, geometry_levels,
        indicator_levels, available_years, has_progress, territory_search_index, progress_labels, territory_name, reference_territories,
        build_territory, national_scope, peer_settings, progress_settings, epcis_of_departement, departements_of_region,
    }
)  # fmt: skip


def _hashable(key: tuple) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True
