"""The itdd DuckDB file, read-only, for the dashboard and the static site.

`Database` opens the file read-only, once per version of the file: a rebuild that atomically
swaps the file is picked up without restarting the server, and never while a request still
reads the previous one. It runs the query functions of `dashboard.queries` and
`dashboard.progress_queries`.
"""

from __future__ import annotations

import copy
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

from dashboard import progress_queries, queries
from itdd.sql import literal, named_rows, python_text

log = logging.getLogger(__name__)

ATTACHED = "itdd"  # the catalog name of the attached file

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

    # Whether pages are made for the static site (`site_data.FrozenDatabase`): they leave out what
    # only the server shows (a portrait's locator, comparisons, edition) and read for many pages.
    static = False

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
        return self.run(queries.list_indicators)

    def years(self, indicator_id: str, level: str) -> list[int]:
        return self.run(queries.available_years, indicator_id, level)

    def values(self, indicator_id: str, level: str, year: int) -> pd.DataFrame:
        return self.run(queries.indicator_values, indicator_id, level, year)

    def sources(self) -> pd.DataFrame:
        return self.run(queries.list_sources)

    def run(self, query, *args):
        """Run one of this module's query functions on a read-only connection (the pinned one, if any).

        The file does not change within a version: a pinned copy keeps the results of the small
        catalogue queries (`KEPT_QUERIES`) for the version, and gives each caller its own copy.
        """
        key = (query.__name__, args)
        if self._pin is None or query not in KEPT_QUERIES or not hashable(key):
            with self.connect() as con:
                return python_text(query(con, *args))
        hit, found = self._pin.results.get(key)
        if not hit:
            with self.connect() as con:
                found = python_text(query(con, *args))
            self._pin.results.put(key, found)
        return found.copy() if isinstance(found, pd.DataFrame) else copy.deepcopy(found)

    def derived(self, compute, *args):
        """`compute(self, *args)`: what a page derives from several queries (a portrait's data, a
        trend's rows), to be read, not changed. The static site keeps the last few
        (`site_data.FrozenDatabase`): both languages of a page derive the same."""
        return compute(self, *args)

    def rows(self, query, *args) -> list:
        """The rows of `query(*args)` as named tuples (`itertuples`), to be read, not changed:
        derived, so that the static site makes them (and their tuple class) once."""
        return self.derived(_rows, query, *args)

    def geojson(self, level: str = "commune") -> dict:
        """Geometries of a level, parsed once per version of the file."""
        if self._pin is None:
            with self._pinned_once() as pinned:
                return pinned.geojson(level)
        cache = self._pin.geojson
        if level not in cache:
            # Two requests may both parse it after a swap; the result is the same.
            collection = self.run(queries.geometries_geojson, level)
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


# Small results that many requests ask for again: kept per version of the file by `Database.run`.
KEPT_QUERIES = frozenset(
    {
        queries.list_indicators, queries.catalogue, queries.list_territories, queries.level_names, queries.list_sources,
        queries.all_sources, queries.indicator_gaps, queries.geometry_levels, queries.indicator_levels,
        queries.available_years, queries.has_progress, queries.territory_search_index, queries.territory_name,
        queries.reference_territories, queries.build_territory, queries.national_scope, queries.epcis_of_departement,
        queries.departements_of_region,
        progress_queries.progress_labels, progress_queries.peer_settings, progress_queries.progress_settings,
        progress_queries.peer_features, progress_queries.territory_peers,  # a portrait reads its peers twice
    }
)  # fmt: skip


def _rows(database: Database, query, *args) -> list:
    return named_rows(database.run(query, *args))


def hashable(key: tuple) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True
