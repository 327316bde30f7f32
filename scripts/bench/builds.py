"""Builds: `itdd build` of the embedded Gironde and of SYNTHETIC région- and France-sized inputs,
the comparable territories, the value stages at national size and a policy's placebos."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import ROOT

# (territory, communes per département): about 4,500 and 35,000 communes
SYNTHETIC_BUILDS = (("R75", 375), ("FR", 360))


def run_measured(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run `python -m itdd.cli ARGS`; its wall time in s and its own peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "itdd.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    status, peak = waited(child)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"itdd {' '.join(args)} failed: {child.stderr.read().decode()}")
    return elapsed, peak


def waited(child: subprocess.Popen) -> tuple[int, float]:
    """Wait for `child`: its exit status, and its own peak resident memory in MiB, read while it
    runs (`VmHWM`, every 20 ms). Not `ru_maxrss`: a child starts with this process's high-water
    mark (Linux keeps it across `exec`), which the serving measures raise to about 1 GB."""
    peak, status_file = 0, Path(f"/proc/{child.pid}/status")
    while True:
        pid, status, _ = os.wait4(child.pid, os.WNOHANG)
        if pid:
            return status, peak / 1024
        try:
            peak = max(peak, high_water_kib(status_file.read_text()))
        except OSError:  # ended meanwhile
            pass
        time.sleep(0.02)


def high_water_kib(status: str) -> int:
    """`VmHWM` of a /proc/PID/status text, in KiB (0 once the process has ended)."""
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def measure_builds(folder: Path, runs: int) -> tuple[list[float], float]:
    """Wall time of `itdd build --offline` in a fresh process, and its peak RSS in MiB."""
    measured = [run_measured(["build", "--offline", "--db", str(folder / f"b{n}.duckdb")]) for n in range(runs)]
    return [t for t, _ in measured], max(peak for _, peak in measured)


def synthetic_mirror(folder: Path, territory: str, per_departement: int) -> tuple[int, int]:
    """Write a made-up input for `territory` (SYNTHETIC values) in the producers' layouts;
    returns its communes (after the 2025 mergers) and EPCI."""
    sys.path.insert(0, str(ROOT / "tests"))
    from producer_files import synthetic_communes, write_mirror

    from etl.catalogue_reader import load_catalogue
    from etl.territory import national_lists, parse_territory

    catalogue = load_catalogue(ROOT / "indicators.yaml")
    departements, _ = national_lists()
    chosen = set(parse_territory(territory).departements)
    pairs = [(d.code, d.region) for d in departements.itertuples() if d.code in chosen]
    communes, epci = synthetic_communes(pairs, per_departement)
    census = {c.code: {"P18_CHOM1564": 10 + n % 50, "P18_ACT1564": 200 + n % 300} for n, c in enumerate(communes)}
    write_mirror(folder, catalogue, communes, epci, census)
    return sum(not c.merged_into for c in communes), len(epci)


def measure_territories(folder: Path) -> list[tuple[str, int, int, float, float]]:
    """(territory, communes, EPCI, seconds, peak MiB) of `itdd build --mirror --territory` over
    each synthetic input, after the offline build of the embedded département; the databases
    stay in `folder` as TERRITORY.duckdb."""
    env = {**os.environ, "ITDD_CACHE": str(folder / "cache")}
    seconds, peak = run_measured(["build", "--offline", "--db", str(folder / "departement.duckdb")], env)
    rows = [("33 (embedded)", 534, 28, seconds, peak)]
    for territory, per_departement in SYNTHETIC_BUILDS:
        mirror = folder / f"mirror-{territory}"
        communes, epci = synthetic_mirror(mirror, territory, per_departement)
        db = folder / f"{territory}.duckdb"
        seconds, peak = run_measured(["build", "--mirror", str(mirror), "--territory", territory, "--db", str(db)], env)
        rows.append((territory, communes, epci, seconds, peak))
    return rows


def measure_peers(db: Path) -> dict:
    """Comparable territories and their comparisons (etl.peers) again on a built database, in this
    process: seconds and rows; the territory build's time includes them."""
    import duckdb

    from etl.catalogue_reader import load_catalogue
    from etl.paths import default_catalogue
    from etl.peers import assess_peers

    with duckdb.connect(str(db)) as con:
        started = time.perf_counter()
        assess_peers(con, load_catalogue(default_catalogue()))
        seconds = time.perf_counter() - started
        peers, comparisons = (
            con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (table names from code)
            for table in ("territory_peers", "indicator_peer_comparison")
        )
    return {"seconds": seconds, "peers": peers, "comparisons": comparisons}


def measure_value_stages(db: Path) -> dict:
    """The value stages (scripts/national_scale.py) recomputed on `db` in a child process: seconds
    per stage, indicator values, peak RSS (MiB) of the child."""
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "national_scale.py"), str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    output = child.stdout.read()
    if child.wait():
        raise SystemExit(f"the value stages failed on {db}")
    return json.loads(output)  # with its own peak (VmHWM)


NATIONAL_SIZE_DB = "national-size.duckdb"


def measure_national_scale(folder: Path) -> tuple[dict, dict]:
    """The value stages on the national build as it is, then on a copy made national-size with
    SYNTHETIC observations (every series, 10 years: scripts/national_scale.py)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from national_scale import densify

    from etl.catalogue_reader import load_catalogue
    from etl.paths import default_catalogue

    national = folder / f"{SYNTHETIC_BUILDS[-1][0]}.duckdb"
    dense = folder / NATIONAL_SIZE_DB
    shutil.copy(national, dense)
    as_built = measure_value_stages(national)
    observations = densify(dense, load_catalogue(default_catalogue()))
    return as_built, {**measure_value_stages(dense), "observations": observations}


def print_national_scale(as_built: dict, dense: dict, build_seconds: float, build_peak: float) -> None:
    from national_scale import STAGES

    print("value stages at national size (34,954 communes; SYNTHETIC observations: every series × 10 years):")
    print(f"{'stage':14}{'as built':>12}{'national size':>16}")
    for stage in STAGES:
        print(f"{stage:14}{as_built['seconds'][stage]:>10.1f} s{dense['seconds'][stage]:>14.1f} s")
    print(f"{'values':14}{as_built['values']:>12,}{dense['values']:>16,}")
    print(f"{'peak RSS':14}{as_built['peak_mib']:>8.0f} MiB{dense['peak_mib']:>12.0f} MiB")
    estimate = build_seconds - sum(as_built["seconds"].values()) + sum(dense["seconds"].values())
    print(
        f"national build at that size, estimated: {estimate:.0f} s (the FR build, {build_seconds:.0f} s, with its"
        f" value stages replaced by the national-size ones); peak {max(build_peak, dense['peak_mib']):.0f} MiB"
    )


def measure_placebos(donors: int = 10, years: int = 12, runs: int = 20) -> float:
    """Seconds for one policy × indicator (its synthetic control and one placebo per donor), on a
    SYNTHETIC random panel of `donors` territories over `years` years; the mean of `runs`."""
    import numpy as np

    from etl.policy import placebo_p_value

    rng = np.random.default_rng(0)
    panel = rng.normal(100, 5, size=(years, donors + 1)).cumsum(axis=0)
    pre = np.arange(years) < years - 3
    started = time.perf_counter()
    for _ in range(runs):
        placebo_p_value(panel[:, 0], panel[:, 1:], pre)
    return (time.perf_counter() - started) / runs


def print_territories(territories: list[tuple[str, int, int, float, float]], national_peers: dict) -> None:
    """The build of each size of territory and, at national size, its comparable territories."""
    print("build of a territory (synthetic inputs: SYNTHETIC values in the producers' layouts, via --mirror):")
    print(f"{'territory':16}{'communes':>10}{'EPCI':>7}{'time':>10}{'peak RSS':>12}")
    for territory, communes, epci, seconds, peak_mib in territories:
        print(f"{territory:16}{communes:>10,}{epci:>7,}{seconds:>8.1f} s{peak_mib:>8.0f} MiB")
    print(
        f"of which comparable territories at national size ({SYNTHETIC_BUILDS[-1][0]}): {national_peers['seconds']:.1f} s"
        f" ({national_peers['peers']:,} peer rows, {national_peers['comparisons']:,} comparisons)"
    )
