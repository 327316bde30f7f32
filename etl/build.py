"""Build the database: geography, sources, observations, indicators; then swap it in.

The build writes `.<name>.building` beside the target and renames it over the target
only when everything succeeded, so readers never see a half-built database and a
failed or interrupted build leaves the previous one untouched.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl.catalogue import Catalogue, Source
from etl.embedded import EXTRACT_DIR, extract_download, snapshot_download
from etl.extract import Cache, DownloadError, fetch, last_download, session
from etl.geography import load_geography, replace_commune_geometries, shapes_from_raw
from etl.indicators import compute_indicators, record_gaps
from etl.load import LoadError, load_raw, raw_table
from etl.progress import assess_progress
from etl.transform import (
    OBSERVATIONS_DDL,
    DuplicateKeyError,
    code_mapping,
    fill_absent_with_zero,
    harmonise,
    history_from_insee,
    tidy,
)

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    source_id: str
    status: str  # embedded | downloaded | unchanged | cached | failed | skipped
    detail: str = ""


@dataclass
class BuildReport:
    db_path: Path
    seconds: float = 0.0
    sources: list[SourceReport] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


OUTPUT_TABLES = (
    "territories",
    "territory_links",
    "geometries",
    "indicator_values",
    "indicator_progress",
    "provenance",
    "indicators",
    "build_sources",
    "indicator_gaps",
)


def database_problem(db_path: Path) -> str | None:
    """Why `db_path` is not a usable itdd database, or None if it is.

    Every table is read whole (a count of each column's values), not only listed: a truncated
    or damaged file is refused here, before serving, rather than on a page. It takes tens of ms.
    """
    from etl.sql import literal, quote

    rebuild = f"rebuild it with `itdd build --db {db_path}`"
    if db_path.is_dir():
        return f"a directory, not a database file; {rebuild}"
    # A private in-memory instance: duckdb.connect(path) could return an instance of this
    # process already open on the path, not the file as it is now.
    with duckdb.connect(":memory:") as con:
        try:
            con.execute(f"ATTACH {literal(str(db_path))} AS checked (TYPE duckdb, READ_ONLY)")
        except duckdb.Error as e:
            return f"not a readable DuckDB file ({str(e).splitlines()[0]}); {rebuild}"
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = 'checked' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        missing = [t for t in OUTPUT_TABLES if t not in tables]
        if missing:
            return f"not an itdd database (no table {', '.join(missing)}); {rebuild}"
        for table in tables:
            try:
                con.execute(f"SELECT count(COLUMNS(*)) FROM checked.{quote(table)}").fetchall()
            except duckdb.Error as e:
                return f"damaged: table {table} cannot be read ({str(e).splitlines()[0]}); {rebuild}"
    return None


def staging_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.building")


def build(
    catalogue: Catalogue,
    db_path: Path,
    *,
    offline: bool = False,
    mirror: str | None = None,
    territory: str | None = None,
    strict: bool = False,
    cache_dir: Path,
) -> BuildReport:
    """Build `db_path` from the catalogue's sources.

    A downloaded source that fails falls back to its last cached download, else is
    reported as failed and its indicators have no values; `strict` makes it fatal.
    """
    started = time.perf_counter()
    report = BuildReport(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_path(db_path)
    staging.unlink(missing_ok=True)  # left over by an interrupted build
    territory = territory or catalogue.territory
    con = duckdb.connect(str(staging))
    try:
        load_geography(con, territory)
        _create_provenance(con)
        http, cache = session(), Cache(cache_dir)
        for source in catalogue.sources:
            if offline and source.url and extract_download(source, territory) is None:
                report.sources.append(SourceReport(source.id, "skipped", "--offline: no embedded extract of this file"))
                continue
            try:
                report.sources.append(_add_source(con, source, http, cache, mirror, territory, offline))
            except (DownloadError, LoadError) as e:
                if strict or source.snapshot is not None or offline:  # a broken embedded file is our bug: stop
                    raise
                _drop_source(con, source)
                report.sources.append(SourceReport(source.id, "failed", str(e)))
        if catalogue.commune_history and _loaded(report, catalogue.commune_history):
            history_from_insee(con, raw_table(catalogue.source(catalogue.commune_history)))
        harmonise(
            con,
            non_additive=[(s.id, v) for s in catalogue.sources for v in s.non_additive],
            vintages={s.id: s.code_list for s in catalogue.sources},
        )
        for source in catalogue.sources:
            if source.absent == "zero" and _loaded(report, source.id):
                fill_absent_with_zero(con, source.id)
        if catalogue.boundaries and _loaded(report, catalogue.boundaries):
            _use_boundaries(con, catalogue.source(catalogue.boundaries), territory, report)
        _record_sources(con, report.sources)
        compute_indicators(con, catalogue)
        record_gaps(con, catalogue)  # why a declared level has no value
        assess_progress(con, catalogue)  # indicator_progress, indicator_status, progress_summary
        _write_catalogue(con, catalogue, territory)
        report.counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
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
    report.seconds = time.perf_counter() - started
    return report


def _add_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    http,
    cache: Cache,
    mirror: str | None,
    territory: str,
    offline: bool,
) -> SourceReport:
    """Fetch (or take the embedded file), load and tidy one source; record its provenance."""
    if source.snapshot is not None:
        got = snapshot_download(source)
        outcome = SourceReport(source.id, "embedded", got.path.name)
    elif offline:
        got = extract_download(source, territory)
        outcome = SourceReport(source.id, "embedded", f"data/{EXTRACT_DIR}/{got.path.name}")
    else:
        url = source.download_url(territory)
        try:
            got = fetch(source.id, url, cache, http, mirror, source.records, source.next_page)
            outcome = SourceReport(source.id, "unchanged" if got.from_cache else "downloaded", got.url)
        except DownloadError as e:
            got = last_download(source.id, url, cache)
            if got is None:
                raise
            outcome = SourceReport(source.id, "cached", f"{e.reason}; using the copy downloaded {got.fetched_at}")
    try:
        rows = load_raw(con, source, got.path)
        tidy(con, source)
    except (duckdb.Error, DuplicateKeyError) as e:
        raise LoadError(source.id, got.path, str(e).splitlines()[0]) from None
    con.execute(
        "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?)",
        [source.id, got.url, got.fetched_at, got.sha256, got.bytes, rows],
    )
    return outcome


def _drop_source(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Remove what a failed source may have half-written."""
    con.execute(f"DROP TABLE IF EXISTS {raw_table(source)}")
    con.execute(OBSERVATIONS_DDL)
    con.execute("DELETE FROM observations WHERE source_id = ?", [source.id])


def _use_boundaries(con: duckdb.DuckDBPyConnection, source: Source, territory: str, report: BuildReport) -> None:
    shapes = shapes_from_raw(con, raw_table(source), source.keys[0])
    note = replace_commune_geometries(con, shapes, code_mapping(con, source.code_list), territory)
    outcome = next(s for s in report.sources if s.source_id == source.id)
    outcome.detail = f"{outcome.detail}; {note}"
    log.info("%s: %s", source.id, note)


def _loaded(report: BuildReport, source_id: str) -> bool:
    return any(s.source_id == source_id and s.status not in ("failed", "skipped") for s in report.sources)


def _record_sources(con: duckdb.DuckDBPyConnection, sources: list[SourceReport]) -> None:
    con.execute("CREATE TABLE build_sources (source_id VARCHAR, status VARCHAR, detail VARCHAR)")
    con.executemany("INSERT INTO build_sources VALUES (?, ?, ?)", [(s.source_id, s.status, s.detail) for s in sources])


def _create_provenance(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE provenance (
        source_id VARCHAR, url VARCHAR, fetched_at VARCHAR, sha256 VARCHAR, bytes BIGINT, rows BIGINT)""")


def _write_catalogue(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, territory: str) -> None:
    indicators = pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "label_fr": i.label.fr,
                "label_en": i.label.en,
                "finality": i.finality.value,
                "unit": i.unit,
                "polarity": i.polarity,
                "kind": i.kind,
                "levels": ",".join(level.value for level in i.levels),
                "sources": ",".join(catalogue.source_ids(i)),
                "definition_fr": i.definition.fr,
                "definition_en": i.definition.en,
                "limits_fr": i.limits.fr if i.limits else None,
                "metadata": catalogue.newest_first(i).model_dump_json(exclude_none=True),
            }
            for i in catalogue.indicators
        ]
    )
    sources = pd.DataFrame(
        [
            {
                "source_id": s.id,
                "producer": s.producer,
                "title": s.title,
                "url": s.download_url(territory) or s.page,
                "licence": s.licence,
                "edition": s.edition,
                # the layout was checked on a real file (its sha256), or only read from others' code
                "verified_sha256": s.verified.sha256 if s.verified else None,
                "from_snapshot": s.snapshot is not None,  # a file of ours, built from registry packages
            }
            for s in catalogue.sources
        ]
    )
    con.register("indicators_df", indicators)
    con.register("sources_df", sources)
    con.execute("CREATE TABLE indicators AS SELECT * FROM indicators_df")
    con.execute("CREATE TABLE sources AS SELECT * FROM sources_df")
