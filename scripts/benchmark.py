"""Benchmark: prints build time, peak memory, map callback latency and bytes per update.

Usage: python scripts/benchmark.py [--runs 3] [--switches 50]

Figures are for the embedded Gironde snapshot (534 communes + 2), on this machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure_builds(folder: Path, runs: int) -> tuple[list[float], float]:
    """Wall time of `itdd build --offline` in a fresh process, and its peak RSS in MiB."""
    times = []
    for n in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "etl.cli", "build", "--offline", "--db", str(folder / f"b{n}.duckdb")],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - started)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return times, peak_kib / 1024


def map_request(indicator: str, year: int) -> dict:
    return {
        "output": "..map.figure...definition.children..",
        "outputs": [{"id": "map", "property": "figure"}, {"id": "definition", "property": "children"}],
        "inputs": [
            {"id": "indicator", "property": "value", "value": indicator},
            {"id": "year", "property": "value", "value": year},
        ],
        "changedPropIds": ["year.value"],
    }


def measure_callbacks(db: Path, switches: int) -> dict:
    from dashboard.app import create_app

    client = create_app(db).server.test_client()
    first = client.post("/_dash-update-component", json=map_request("population", 2023))
    assert first.status_code == 200, first.status_code
    plan = [("population", 2016 + (n % 2) * 7) if n % 3 else ("densite_population", 2023) for n in range(switches)]
    latencies, sizes = [], []
    for indicator, year in plan:
        started = time.perf_counter()
        response = client.post("/_dash-update-component", json=map_request(indicator, year))
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        sizes.append(len(response.data))
    figure = json.loads(first.data)["response"]["map"]["figure"]
    geometry = sum(len(json.dumps(t.get("geojson", {}))) for t in figure["data"])
    return {
        "first_bytes": len(first.data),
        "geometry_bytes": geometry,
        "switch_bytes": statistics.median(sizes),
        "p50": statistics.median(latencies),
        "p95": statistics.quantiles(latencies, n=20)[18],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--switches", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        times, peak = measure_builds(folder, args.runs)
        cb = measure_callbacks(folder / "b0.duckdb", args.switches)
        db_bytes = (folder / "b0.duckdb").stat().st_size
    print(f"build --offline     median {statistics.median(times):.2f} s over {args.runs} runs (min {min(times):.2f} s)")
    print(f"build peak memory   {peak:.0f} MiB (RSS of the build process)")
    print(f"database size       {db_bytes / 1e6:.1f} MB")
    print(f"first map response  {cb['first_bytes'] / 1e3:.0f} kB (geometry {cb['geometry_bytes'] / 1e3:.0f} kB)")
    print(f"map switch          {cb['switch_bytes'] / 1e3:.0f} kB per update (median)")
    print(f"map callback        p50 {cb['p50']:.0f} ms, p95 {cb['p95']:.0f} ms over {args.switches} switches")


if __name__ == "__main__":
    main()
