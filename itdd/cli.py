"""The `itdd` command line."""

from __future__ import annotations

import logging
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from etl.catalogue import Catalogue
from etl.catalogue_reader import CatalogueError, load_catalogue
from etl.database_check import database_problem
from etl.paths import default_cache, default_catalogue, default_db, default_policies

if TYPE_CHECKING:
    from etl.build import BuildReport

# rich_markup_mode=None: Click's plain help, which shows no `<bool>` after a flag and keeps
# "[default: …]" in the help texts (Rich markup would read it as a style and drop it).
app = typer.Typer(
    help="itdd: territorial sustainable-development indicators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # never break a path or URL in an error

CatalogueOption = Annotated[
    Path | None,
    typer.Option(
        "--catalogue", help="indicators.yaml to use [default: $ITDD_CATALOGUE, ./indicators.yaml, shipped copy]"
    ),
]
DbOption = Annotated[Path | None, typer.Option("--db", help="DuckDB file [default: $ITDD_DB or the user data folder]")]


ANSI_CODE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PlainFormatter(logging.Formatter):
    """One line per record, without the colour codes some libraries write in their messages
    (werkzeug's banner): for a log file, cron or the journal."""

    def format(self, record: logging.LogRecord) -> str:
        return ANSI_CODE.sub("", super().format(record))


class StderrHandler(logging.StreamHandler):
    """Writes to sys.stderr as it is at each record, as `err` does (a test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def log_handler() -> logging.Handler:
    """Rich's handler on a terminal; elsewhere plain lines, never wrapped, never raw ANSI codes."""
    if err.is_terminal:
        return RichHandler(console=err, show_path=False, show_time=False)
    handler = StderrHandler()
    handler.setFormatter(PlainFormatter("%(levelname)s %(message)s"))
    return handler


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", handlers=[log_handler()]
    )
    # urllib3 logs each retry with the whole exception; the build reports each failed source once.
    logging.getLogger("urllib3").setLevel(logging.DEBUG if verbose else logging.ERROR)


def _catalogue(path: Path | None) -> Catalogue:
    path = path or default_catalogue()
    try:
        return load_catalogue(path)
    except CatalogueError as e:
        err.print(f"[red]{path}: {len(e.errors)} error(s)[/red]")
        for line in e.errors:
            err.print(f"  - {line}", markup=False, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def check(catalogue: CatalogueOption = None) -> None:
    """Validate indicators.yaml; list every error at once."""
    cat = _catalogue(catalogue)
    console.print(f"[green]OK[/green]: {len(cat.sources)} sources, {len(cat.indicators)} indicators")


@app.command()
def indicators(catalogue: CatalogueOption = None) -> None:
    """List the indicator catalogue."""
    cat = _catalogue(catalogue)
    table = Table("id", "label", "finality", "unit", "levels", "source (licence)")
    for i in cat.indicators:
        sources = ", ".join(f"{s} ({cat.source(s).licence})" for s in cat.source_ids(i))
        table.add_row(i.id, i.label.fr, i.finality.value, i.unit, ", ".join(lv.value for lv in i.levels), sources)
    console.print(table)


@app.command()
def build(
    db: DbOption = None,
    offline: Annotated[bool, typer.Option("--offline", help="Use only the snapshot embedded in data/")] = False,
    mirror: Annotated[
        str | None, typer.Option("--mirror", help="Read https://HOST/PATH from BASE/HOST/PATH (folder or URL)")
    ] = None,
    territory: Annotated[
        str | None,
        typer.Option(
            "--territory",
            help="A département (40, 2A, 971), a région as R and its code (R75), or FR [default: catalogue's]",
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail if any source cannot be fetched or read")] = False,
    catalogue: CatalogueOption = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for another build of the same file to finish")
    ] = 30.0,
    policies: Annotated[
        Path | None,
        typer.Option("--policies", help="Policies to evaluate [default: $ITDD_POLICIES, ./policies.yaml]"),
    ] = None,
) -> None:
    """Build the database (atomically: a failed build keeps the previous one)."""
    # Here rather than at the top: the other commands start without the ETL's libraries.
    from etl.build import build as run_build
    from etl.extract import DownloadError
    from etl.geography import GeographyError
    from etl.load import LoadError
    from etl.lock import BuildLocked
    from etl.policy import PolicyError, load_policies
    from etl.territory import TerritoryError

    cat = _catalogue(catalogue)
    target = db or default_db()
    try:
        declared = load_policies(policies or default_policies()) if (policies or default_policies()) else None
    except PolicyError as e:
        err.print(f"[red]Build failed[/red]: {e}", highlight=False)
        raise typer.Exit(1) from None
    try:
        report = run_build(
            cat,
            target,
            offline=offline,
            mirror=mirror,
            territory=territory,
            strict=strict,
            cache_dir=default_cache(),
            lock_timeout=wait,
            policies=declared,
        )
    except (DownloadError, LoadError, GeographyError, TerritoryError, BuildLocked, OSError, duckdb.Error) as e:
        err.print(f"[red]Build failed[/red]: {e}", highlight=False)
        err.print(f"The previous database, if any, is unchanged: {target}", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print(f"Interrupted; the previous database, if any, is unchanged: {target}")
        raise typer.Exit(130) from None
    console.print(sources_table(report, console.width))
    counts = ", ".join(f"{n} {t}" for t, n in report.counts.items())
    console.print(f"[green]Built[/green] {target} in {report.seconds:.1f} s ({counts})")
    for line in failure_summary(report, cat):
        err.print(line, highlight=False)


# Said once at the end of a build where a source could not reach its host.
NO_NETWORK_HINT = (
    "No network? `itdd build --offline` builds from the embedded data; "
    "`itdd build --mirror FOLDER` reads a local copy of the producers' files."
)


def sources_table(report: BuildReport, width: int) -> Table:
    """One line per source: its status and the start of its detail (failures are listed in full below)."""
    table = Table("source", "status", title="Sources")
    # Ids and statuses whole; the detail takes what is left of `width` (4 borders, 2 spaces a cell).
    used = max((len(s.source_id) for s in report.sources), default=6) + max(
        (len(s.status) for s in report.sources), default=6
    )
    table.add_column("detail", no_wrap=True, overflow="ellipsis", max_width=max(20, width - used - 10))
    for s in report.sources:
        table.add_row(s.source_id, _styled(s.status), s.detail)
    return table


def failure_summary(report: BuildReport, cat: Catalogue) -> list[str]:
    """The end of a build's output when sources failed: one line per failed source, the indicators
    left without values, and what to do (the hint for a missing network, --strict)."""
    failed = [s for s in report.sources if s.status == "failed"]
    if not failed:
        return []
    unavailable = [i.id for i in cat.indicators if i.needs_any_of({s.source_id for s in failed})]
    lines = [f"[yellow]{len(failed)} source(s) failed[/yellow]:"]
    lines += [f"  {s.source_id}: {escape(s.detail)}" for s in failed]
    lines.append(f"No values for {', '.join(unavailable) or 'no indicator'}.")
    if any(s.network for s in failed):
        lines.append(escape(NO_NETWORK_HINT))
    lines.append("Use --strict to make a failed source fatal.")
    return lines


# A layout read from others' code, never checked on a real file (the words of the indicator sheet).
LAYOUT_UNVERIFIED = "[yellow]format non vérifié sur un fichier réel[/yellow]"
STATUS_STYLE = {"failed": "red", "cached": "yellow", "skipped": "dim", "downloaded": "green", "unchanged": "green"}


def _styled(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else status


@app.command()
def sources(db: DbOption = None, catalogue: CatalogueOption = None) -> None:
    """List the sources: producer, URL, licence, last fetch and status in the database."""
    cat = _catalogue(catalogue)
    target = db or default_db()
    built = {}
    if target.exists():
        problem = database_problem(target)
        if problem:
            err.print(f"[red]Cannot read {target}[/red]: {problem}", highlight=False)
            raise typer.Exit(1)
        with duckdb.connect(str(target), read_only=True) as con:
            rows = con.execute("""
                SELECT b.source_id, b.status, b.detail, p.fetched_at FROM build_sources b
                LEFT JOIN provenance p USING (source_id)""").fetchall()
        built = {r[0]: r[1:] for r in rows}
    table = Table("id", "producer", "url", "licence", "edition", title=f"Sources in {target}")
    table.add_column("layout", no_wrap=True)  # words people search for: never broken across lines
    table.add_column("last fetch")
    table.add_column("status")
    for s in cat.sources:
        status, detail, fetched_at = built.get(s.id, ("not built", "", None))
        shown = _styled(status) + (f": {detail}" if status in ("failed", "cached") else "")
        layout = LAYOUT_UNVERIFIED if s.url and not s.verified else "verified" if s.url else "embedded"
        table.add_row(
            s.id, s.producer, s.url or f"data/{s.snapshot}", s.licence, s.edition or "", layout, fetched_at or "", shown
        )
    console.print(table)


@app.command()
def publish(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (new, empty, or an earlier publication)")],
    db: DbOption = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Public address of the folder, for absolute links in the catalogue")
    ] = None,
    publisher: Annotated[
        str | None,
        typer.Option("--publisher", help='Who publishes the data, e.g. "Département des Landes" [default: itdd]'),
    ] = None,
) -> None:
    """Publish the open data (CSV, Parquet, GeoJSON, datapackage.json, DCAT catalogue) and the static site."""
    from dashboard.site_pool import write_site  # Dash is only imported by the rendering processes
    from etl.publish import publishable
    from etl.publish_files import MARKER, PublishError, Writer, staged_folder

    target = db or default_db()
    problem = database_problem(target) if target.exists() else f"no database at {target}: run `itdd build` first"
    if problem:
        err.print(f"[red]Cannot publish {target}[/red]: {problem}", highlight=False)
        raise typer.Exit(1)
    started = time.perf_counter()
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            publishable(con)  # at once, not after the pages
        with (
            staged_folder(out) as folder,
            Progress(console=err, transient=True) as progress,
            ThreadPoolExecutor(1) as alongside,
        ):
            # the open data in a thread of this process while other processes render the pages:
            # the two share the cores instead of running one after the other
            data = alongside.submit(_write_open_data, target, Writer(folder), base_url, publisher)
            task = progress.add_task("Pages", total=None)
            pages = write_site(
                target,
                folder,
                lambda done, total: progress.update(task, completed=done, total=total),
                base_url=base_url,  # the 404 page's links
            )
            package = data.result()
    except (PublishError, OSError, duckdb.Error) as e:
        err.print(f"[red]Publishing failed[/red]: {e}", highlight=False)
        if (out / MARKER).is_file():
            err.print(f"The previous publication in {out} is unchanged.", highlight=False)
        raise typer.Exit(1) from None
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    console.print(
        f"[green]Published[/green] {out}: {len(package['resources'])} data resources, {pages} pages, "
        f"{size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s"
    )


def _write_open_data(target: Path, writer, base_url: str | None, publisher: str | None) -> dict:
    from etl.publish import write_open_data

    with duckdb.connect(str(target), read_only=True) as con:
        return write_open_data(con, writer, base_url, publisher)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8050,
    workers: Annotated[int, typer.Option(min=1, help="gunicorn worker processes")] = 2,
    threads: Annotated[int, typer.Option(min=1, help="Threads per worker")] = 4,
    dev: Annotated[
        bool, typer.Option("--dev", help="Flask's development server (one process) instead of gunicorn")
    ] = False,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Keep callback and download answers per database version")
    ] = True,
    catalogue: CatalogueOption = None,
) -> None:
    """Serve the dashboard (gunicorn); builds the database from the snapshot first if it is missing."""
    target = db or default_db()
    if not target.exists():
        console.print(f"No database at {target}: building it from the embedded snapshot (offline) first.")
        build(db=target, offline=True, mirror=None, territory=None, catalogue=catalogue, wait=30.0, policies=None)
    problem = database_problem(target)
    if problem:
        err.print(f"[red]Cannot serve {target}[/red]: {problem}", highlight=False)
        raise typer.Exit(1)
    from dashboard.serving import serve as serve_app  # Dash is only imported when serving

    serve_app(target, host=host, port=port, workers=workers, threads=threads, dev=dev, cache=cache)


if __name__ == "__main__":
    app()
