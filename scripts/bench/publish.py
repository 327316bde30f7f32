"""`itdd publish`: time, memory, pages and bytes of the static site, and a national estimate."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.builds import run_measured


def measure_publish(db: Path, out: Path, runs: int = 1) -> dict:
    """`itdd publish` `runs` times, each into a new folder beside `out`: the median run's time, CPU
    time (its processes together), peak memory, pages and bytes written (all, and the open-data
    files alone), with the fastest and slowest times (this machine's speed drifts within minutes)."""
    measured = sorted(
        (_publish_once(db, out.with_name(f"{out.name}-{run}")) for run in range(runs)), key=lambda m: m["seconds"]
    )
    return {
        **measured[len(measured) // 2],
        "runs": runs,
        "fastest": measured[0]["seconds"],
        "slowest": measured[-1]["seconds"],
        **open_data_alone(db),
    }


def _publish_once(db: Path, out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with adopting_orphans():
        elapsed, peak = run_measured(["publish", "--db", str(db), "--out", str(out)])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    files = [f for f in out.rglob("*") if f.is_file()]
    return {
        "seconds": elapsed,
        "cpu_seconds": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "peak_mib": peak,
        "pages": sum(f.suffix == ".html" for f in files),
        "portraits": sum(f.suffix == ".html" and "territoire" in f.relative_to(out).parts for f in files),
        "bytes": sum(f.stat().st_size for f in files),
        "data_bytes": sum(f.stat().st_size for f in files if f.parent.name == "donnees"),
    }


PR_SET_CHILD_SUBREAPER = 36  # prctl(2)


@contextlib.contextmanager
def adopting_orphans() -> Iterator[None]:
    """This process adopts the processes its children leave behind, and waits for them at the
    end, so that their CPU time counts among its children's: the rendering processes of `itdd
    publish` are children of multiprocessing's fork server, which outlives it by a moment."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        yield
    finally:
        prctl(PR_SET_CHILD_SUBREAPER, 0)
        for pid in _children():
            os.waitpid(pid, 0)


def _children() -> list[int]:
    """The processes whose parent is this one (from /proc; zombies included)."""
    mine, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
        except OSError:  # ended meanwhile
            continue
        if fields[1] == mine:
            found.append(int(stat.parent.name))
    return found


def open_data_alone(db: Path) -> dict:
    """The open data written alone, in this process as in `itdd publish`'s thread: its CPU
    seconds, and the number of values it publishes."""
    import duckdb

    from etl.publish import write_open_data
    from etl.publish_files import Writer

    with tempfile.TemporaryDirectory() as tmp, duckdb.connect(str(db), read_only=True) as con:
        start = time.process_time()
        write_open_data(con, Writer(Path(tmp)))
        cpu = time.process_time() - start
        values = con.execute("SELECT count(*) FROM indicator_values").fetchone()[0]
    return {"open_data_cpu": cpu, "values": values}


# France at national size: about 35,000 communes, 1,250 EPCI, 101 départements, 18 régions, France
# and France métropolitaine (INSEE's counts), each with a portrait in each language of the site.
NATIONAL_TERRITORIES = 35_000 + 1_250 + 101 + 18 + 2
# The values of the national-size database (`scripts/national_scale.py`: 12.4 M in its last run).
NATIONAL_VALUES = 12_400_000


def print_publish(published: dict, territories: int) -> None:
    """The publish figures, and the national estimate: this build's time per page (wall and CPU)
    times the national page count, the pages other than portraits scaling with the catalogue
    only; and the open data's CPU time (measured alone) times the national number of values
    (`NATIONAL_VALUES`), both shared by the cores. An extrapolation, not a measure: it holds if
    a page's cost does not grow with the country (each portrait reads its own territories' rows,
    `dashboard/site_data.py`) and the open data's grows with its values."""
    pages = published["pages"]
    languages = published["portraits"] / territories  # a portrait of each territory in each language
    national_pages = round(pages + languages * (NATIONAL_TERRITORIES - territories))
    cores = os.cpu_count() or 1
    spread = (
        f"median of {published['runs']} runs, {published['fastest']:.1f}-{published['slowest']:.1f} s; "
        if published["runs"] > 1
        else ""
    )
    print(
        f"publish             {published['seconds']:.1f} s ({spread}{published['cpu_seconds']:.0f} CPU s on {cores} "
        f"cores), peak {published['peak_mib']:.0f} MiB; {pages} pages, {published['bytes'] / 1e6:.1f} MB in all, "
        f"{published['data_bytes'] / 1e6:.1f} MB of open-data files"
    )
    pages_cpu = (published["cpu_seconds"] - published["open_data_cpu"]) / pages * national_pages
    data_cpu = published["open_data_cpu"] * NATIONAL_VALUES / published["values"]
    print(
        f"publish, national estimate (extrapolated, not measured): {national_pages:,} pages, "
        f"{published['seconds'] / pages * national_pages / 60:.0f} min at this run's time per page; by CPU time, "
        f"{(pages_cpu + data_cpu) / cores / 60:.0f} min on {cores} cores: the pages {pages_cpu / 60:.0f} CPU min "
        f"(this run's CPU time a page, the open data's aside), the open data {data_cpu / 60:.0f} CPU min "
        f"({published['open_data_cpu']:.1f} CPU s alone here, {published['values']:,} values; "
        f"{NATIONAL_VALUES / 1e6:.1f} M nationally)"
    )


def publish_benchmark(runs: int) -> None:
    """`--publish`: only `itdd publish` of the offline Gironde build, `runs` times."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_measured(["build", "--offline", "--db", str(folder / "b0.duckdb")])
        published = measure_publish(folder / "b0.duckdb", folder / "site", runs)
        territories = territory_count(folder / "b0.duckdb")
    print_publish(published, territories)


def territory_count(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM territories").fetchone()[0]
