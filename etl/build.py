"""Build the database: geography, sources, observations, indicators; then swap it in.

The build writes `.<name>.building` beside the target and renames it over the target
only when everything succeeded, so readers never see a half-built database and a
failed or interrupted build leaves the previous one untouched.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import requests

from etl.built_catalogue import write_catalogue
from etl.catalogue import Catalogue
from etl.catalogue_sources import Source
from etl.embedded import EXTRACT_DIR, extract_download, extract_territory, snapshot_download, snapshot_territory
from etl.extract import Cache, Download, DownloadError, fetch, last_download, session
from etl.geography import (
    GeographyError,
    drop_attributes,
    load_embedded_history,
    load_geometries,
    load_national_lists,
    resolve_territory,
    shapes_from_raw,
    tidy_attributes,
)
from etl.indicators import compute_indicators, record_gaps
from etl.load import LoadError, load_raw_parts, raw_table
from etl.lock import build_lock
from etl.peers import assess_peers
from etl.policy import PolicySettings, evaluate_policies
from etl.progress import assess_progress
from etl.territory import Territory, TerritoryError, parse_territory
from etl.transform import (
    OBSERVATIONS_DDL,
    code_mapping,
    fill_absent_with_zero,
    harmonise,
    history_from_insee,
    level_sql,
    tidy,
)
from etl.validate import SourceRejected, check_referential, check_source
from itdd.model import SCHEMA_VERSION, TABLE, TABLES
from itdd.sql import literal

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    source_id: str
    status: str  # embedded | downloaded | unchanged | cached | failed | skipped
    detail: str = ""
    network: bool = False  # failed because no host could be reached (no network?)


@dataclass
class BuildReport:
    db_path: Path
    seconds: float = 0.0
    sources: list[SourceReport] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


# DuckDB takes up to 80 % of the machine by default; a national build keeps to this and spills
# the rest to disk beside the database (3.2 GB peak in all at national size: benchmark --scale national).
BUILD_MEMORY_LIMIT = "2GB"
# Row groups of 16,384 rows (DuckDB's default: 122,880): a portrait reads one territory's rows
# from tables stored by indicator, and smaller groups let it skip more of them.
ROW_GROUP_SIZE = 16_384


def open_build(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the database file a build writes, with the build's memory limit and row groups,
    spilling beside the file (attached to an in-memory connection, DuckDB would spill to `./.tmp`)."""
    con = duckdb.connect(config={"memory_limit": BUILD_MEMORY_LIMIT, "temp_directory": f"{path}.tmp"})
    con.execute(f"ATTACH {literal(str(path))} AS built (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    con.execute("USE built")
    return con


def staging_path(db_path: Path) -> Path:
    """The file a build writes before swapping it in: its own, named with its PID."""
    return db_path.with_name(f".{db_path.name}.{os.getpid()}.building")


def build(
    catalogue: Catalogue,
    db_path: Path,
    *,
    offline: bool = False,
    mirror: str | None = None,
    territory: str | None = None,
    strict: bool = False,
    cache_dir: Path,
    lock_timeout: float = 30.0,
    policies: PolicySettings | None = None,
) -> BuildReport:
    """Build `db_path` from the catalogue's sources, holding its build lock.

    `territory`: a département (`40`), a région (`R75`) or `FR`; by default the catalogue's,
    else the embedded data's. A downloaded source that fails falls back to its last cached
    download, else is reported as failed and its indicators have no values; `strict` makes
    it fatal. The backbone (the referential and the history of changes) must be had: from
    files that pass every rule, or from the embedded data where it serves the territory.
    """
    started = time.perf_counter()
    chosen = parse_territory(territory or catalogue.territory or snapshot_territory())  # before any file is touched
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(db_path, lock_timeout):
        for stale in db_path.parent.glob(f".{db_path.name}.*.building*"):  # left by a killed build
            stale.unlink()
        report = _build(catalogue, db_path, offline, mirror, chosen, strict, cache_dir, policies)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Run:
    """What every source of one build shares."""

    con: duckdb.DuckDBPyConnection
    territory: Territory
    offline: bool
    mirror: str | None
    strict: bool
    http: requests.Session
    cache: Cache
    departements: list[str]  # where the build's communes lie: the files of a per-département URL to fetch

    @property
    def snapshot_serves(self) -> bool:
        return self.territory.spelling == snapshot_territory()

    @property
    def extract_serves(self) -> bool:
        return self.territory.spelling == extract_territory()


def _build(
    catalogue: Catalogue,
    db_path: Path,
    offline: bool,
    mirror: str | None,
    territory: Territory,
    strict: bool,
    cache_dir: Path,
    policies: PolicySettings | None,
) -> BuildReport:
    report = BuildReport(db_path)
    staging = staging_path(db_path)
    con = open_build(staging)
    try:
        run = _Run(con, territory, offline, mirror, strict, session(), Cache(cache_dir), list(territory.departements))
        load_national_lists(con)
        load_embedded_history(con, run.snapshot_serves)
        _create_provenance(con)
        report.sources = _load_sources(run, catalogue)
        _compute(run, catalogue, report, policies)
        report.counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (table names from code, quoted)
            for table in ("territories", "geometries", "indicator_values", "provenance")
        }
        con.execute("CHECKPOINT")
        con.close()
        os.replace(staging, db_path)
    except BaseException:
        con.close()
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
        raise
    return report


def _load_sources(run: _Run, catalogue: Catalogue) -> list[SourceReport]:
    """Every source's outcome, in catalogue order. The backbone first: the history of changes
    (to carry older code lists), then the referential, from which the build's communes and
    their départements follow."""
    outcomes = {}
    backbone = [s for s in (catalogue.commune_history, *catalogue.referential) if s]
    for source_id in dict.fromkeys(backbone):
        outcomes[source_id] = _try_source(run, catalogue.source(source_id), backbone=True)
        if source_id == catalogue.commune_history and _is_loaded(outcomes[source_id]):
            history_from_insee(run.con, raw_table(catalogue.source(source_id)))
    _require_backbone(run, catalogue, outcomes)
    referential = [catalogue.source(s) for s in catalogue.referential if _is_loaded(outcomes[s])]
    run.departements = resolve_territory(run.con, run.territory, referential, catalogue.reference_code_list)
    for source in catalogue.sources:
        if source.id not in outcomes:
            outcomes[source.id] = _try_source(run, source)
    return [outcomes[s.id] for s in catalogue.sources]


def _compute(run: _Run, catalogue: Catalogue, report: BuildReport, policies: PolicySettings | None) -> None:
    """From the loaded observations to the finished database: `obs`, outlines, indicators,
    progress, peers, policies, the catalogue as built, and every declared table with the
    schema version."""
    con = run.con
    harmonise(
        con,
        non_additive=[(s.id, v) for s in catalogue.sources for v in s.non_additive],
        vintages={s.id: s.code_list for s in catalogue.sources},
    )
    for source in catalogue.sources:
        if source.absent == "zero" and _loaded(report, source.id):
            fill_absent_with_zero(con, source.id)
    _record_sources(con, report.sources)  # the gaps read which sources failed
    # Outlines (GEOS, on one core) are drawn while DuckDB computes the values: they share
    # no table, and at national size each takes seconds.
    with ThreadPoolExecutor(max_workers=1) as pool, con.cursor() as outlines_con:
        outlines_con.execute("USE built")
        outlines = pool.submit(_geometries, outlines_con, run.snapshot_serves, catalogue, report)
        compute_indicators(con, catalogue)
        record_gaps(con, catalogue)  # why a declared level has no value
        assess_progress(con, catalogue)  # indicator_progress, indicator_status, progress_summary
        assess_peers(con, catalogue)  # territory_peers, indicator_peer_comparison
        evaluate_policies(con, policies)  # policy_effects, policy_series, policy_weights
        outlines.result()
    _record_sources(con, report.sources)  # again, with the outlines' note
    write_catalogue(con, catalogue, run.departements)
    for table in TABLES:  # every declared table, empty where the catalogue gave it no row: readers need no fallback
        con.execute(table.create(if_not_exists=True))
    con.execute("INSERT INTO itdd_meta VALUES (?)", [SCHEMA_VERSION])


def _try_source(run: _Run, source: Source, backbone: bool = False) -> SourceReport:
    """One source's outcome: embedded, downloaded, unchanged, cached, failed or skipped.

    A backbone file (the referential, the history of changes) that breaks a rule stops the
    build: values would land on the wrong communes. One that cannot be had is reported like
    any other, and `_require_backbone` says whether the build can do without it."""
    if source.snapshot is not None and not run.snapshot_serves:
        return SourceReport(source.id, "skipped", "the embedded snapshot serves another territory")
    if run.offline and source.url and not _embedded_copies(run, source):
        return SourceReport(source.id, "skipped", "--offline: no embedded copy of this file for this territory")
    try:
        return _add_source(run, source)
    except (DownloadError, LoadError) as e:
        # a broken embedded file is our bug, a broken referential the user's input: stop
        if run.strict or source.snapshot is not None or run.offline or (backbone and isinstance(e, LoadError)):
            raise
        _drop_source(run.con, source)
        if isinstance(e, DownloadError):  # the table names the source: the detail says what failed
            return SourceReport(source.id, "failed", f"download of {e.url} failed: {e.reason}", e.network)
        return SourceReport(source.id, "failed", str(e))


def _embedded_copies(run: _Run, source: Source) -> list[Download] | None:
    """The embedded copies of every file of `source` for this build, or None if one lacks."""
    if not run.extract_serves:
        return None
    copies = [extract_download(source, url) for url in source.download_urls(run.departements)]
    return copies if copies and all(copies) else None


def _embedded_label() -> str:
    try:
        return parse_territory(snapshot_territory()).label
    except TerritoryError:
        return snapshot_territory()


def _require_backbone(run: _Run, catalogue: Catalogue, outcomes: dict[str, SourceReport]) -> None:
    """Stop, saying why, when the referential or the history of changes is not there: no
    value could be placed on its territory without them."""
    # The embedded data, where it serves the territory, stands in for the files it holds.
    lacking = [
        o
        for o in outcomes.values()
        if o.status in ("failed", "skipped") and catalogue.source(o.source_id).url and not run.snapshot_serves
    ]
    if lacking and not run.offline:
        raise GeographyError(
            f"the referential of {run.territory.label} cannot be had, and a build needs it: "
            + "; ".join(f"{o.source_id}: {o.detail}" for o in lacking)
        )
    if lacking:

        def files(sources: list[Source]) -> str:
            urls = [f"{s.id}: {url}" for s in sources for url in s.download_urls(run.territory.departements)]
            return "\n  ".join(urls)

        others = [s for s in catalogue.sources if s.url and s.id not in outcomes and not _embedded_copies(run, s)]
        raise GeographyError(
            f"an offline build of {run.territory.label} needs --mirror or the network: the embedded data covers "
            f"{_embedded_label()} only. It lacks the referential:\n  {files([catalogue.source(o.source_id) for o in lacking])}"
            + (f"\nand the files of its indicators:\n  {files(others)}" if others else "")
        )


def _add_source(run: _Run, source: Source) -> SourceReport:
    """Fetch (or take the embedded files), load, tidy and validate one source; record its
    provenance. A new download enters the cache only once valid; a download that fails, or
    a file that breaks a rule, falls back to the last good cached copy."""
    con, cache = run.con, run.cache
    if source.snapshot is not None:
        got = snapshot_download(source)
        load_source(con, source, [got], run.territory.departements)
        return SourceReport(source.id, "embedded", got.path.name)
    if run.offline:
        copies = _embedded_copies(run, source)
        load_source(con, source, copies, run.territory.departements)
        return SourceReport(source.id, "embedded", ", ".join(f"data/{EXTRACT_DIR}/{c.path.name}" for c in copies))
    urls = source.download_urls(run.departements)
    fetched: list[Download] = []
    try:
        for url in urls:
            fetched.append(
                fetch(source.id, url, cache, run.http, run.mirror, source.records, source.next_page, source.max_bytes)
            )
        load_source(con, source, fetched, run.territory.departements)
    except (DownloadError, LoadError) as e:
        for got in fetched:
            cache.discard(got)
        _drop_source(con, source)
        previous = [last_download(source.id, url, cache) for url in urls]
        if not all(previous):
            raise
        load_source(con, source, previous, run.territory.departements)  # validated when it was kept
        reason = e.reason if isinstance(e, DownloadError) else str(e)
        dates = sorted({p.fetched_at for p in previous})
        return SourceReport(source.id, "cached", f"{reason}; using the copy downloaded {', '.join(dates)}")
    kept = [cache.keep(got) for got in fetched]
    status = "unchanged" if all(got.from_cache for got in kept) else "downloaded"
    return SourceReport(source.id, status, ", ".join(got.url for got in kept))


def load_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    got: Download | list[Download],
    departements: tuple[str, ...] | list[str] | str,
) -> None:
    """Load, tidy and validate the files of `source` (one, or one per département) against
    the build's départements; record their provenance (LoadError if one breaks a rule)."""
    files = [got] if isinstance(got, Download) else got
    departements = (departements,) if isinstance(departements, str) else tuple(departements)
    try:
        rows = load_raw_parts(con, source, [f.path for f in files])
        tidy(con, source)
        check_source(con, source, departements)
        if source.attributes:
            tidy_attributes(con, source, level_sql(source))
            check_referential(con, source, departements)
    except (duckdb.Error, SourceRejected) as e:
        raise LoadError(source.id, files[0].path, str(e).splitlines()[0]) from None
    for f in files:
        con.execute(
            "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?)",
            [source.id, f.url, f.fetched_at, f.sha256, f.bytes, rows if len(files) == 1 else None],
        )


def _drop_source(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Remove what a failed source may have half-written."""
    con.execute(f"DROP TABLE IF EXISTS {raw_table(source)}")
    con.execute(OBSERVATIONS_DDL)
    con.execute("DELETE FROM observations WHERE source_id = ?", [source.id])
    drop_attributes(con, source.id)
    con.execute("DELETE FROM provenance WHERE source_id = ?", [source.id])


def _geometries(con: duckdb.DuckDBPyConnection, embedded: bool, catalogue: Catalogue, report: BuildReport) -> None:
    """Outlines: the boundaries source's, dissolved into the reference communes, or the
    snapshot's where it serves this territory (`embedded`)."""
    source = catalogue.source(catalogue.boundaries) if catalogue.boundaries else None
    downloaded, mapping = None, {}
    if source is not None and _loaded(report, source.id):
        downloaded = shapes_from_raw(con, raw_table(source), source.keys[0])
        mapping = code_mapping(con, source.code_list)
    note = load_geometries(con, embedded, downloaded, mapping)
    if note:
        outcome = next(s for s in report.sources if s.source_id == source.id)
        outcome.detail = f"{outcome.detail}; {note}"
        log.info("%s: %s", source.id, note)


def _is_loaded(outcome: SourceReport) -> bool:
    return outcome.status not in ("failed", "skipped")


def _loaded(report: BuildReport, source_id: str) -> bool:
    return any(s.source_id == source_id and _is_loaded(s) for s in report.sources)


def _record_sources(con: duckdb.DuckDBPyConnection, sources: list[SourceReport]) -> None:
    con.execute(TABLE["build_sources"].create())
    con.executemany("INSERT INTO build_sources VALUES (?, ?, ?)", [(s.source_id, s.status, s.detail) for s in sources])


def _create_provenance(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(TABLE["provenance"].create())
