"""Benchmark: build time and peak memory for a département, a région and France, the commune
map (bytes and callback time) and `itdd publish`.

The map figures compare the app's path (geometry sent once, then `Patch`es of
values) with the naive one (a fresh `px.choropleth_map` with the full GeoJSON
on every switch). Bytes are HTTP response bodies; times are server side.

The territory builds run `itdd build --mirror --territory` over made-up inputs in the
producers' layouts (tests/producer_files.py; SYNTHETIC names and values): a région-sized
one (R75, about 4,500 communes) and a France-sized one (FR, about 35,000), beside the
embedded Gironde (534 communes + 2). This only shows they run; it sets no target.

Usage: python scripts/benchmark.py [--runs 3] [--switches 50] [--territories-only] [--map-only] [--publish]
       [--scale national] [--serving [--national-db PATH]] [--load]

`--scale national` adds the stages whose cost grows with the number of values (indicators, gaps,
progress, peers, policies) on the France-sized build made national-size: every series of the
catalogue for every commune over 10 years, SYNTHETIC values (scripts/national_scale.py), 11 M+
indicator values, as issue #14 sets the national size.

`--publish` measures only `itdd publish` of the offline Gironde build, with a national estimate.
`--runs` builds and publishes Gironde that many times: the median run's figures (and the fastest
and slowest), as this machine's speed drifts within minutes.

Serving rows (issue #14's table), at Gironde size, ~10x (R75) and, with `--scale national`, national
size: the commune map's first response, outlines, a switch (map and table callbacks: bytes, gzip
bytes, p50 and p95) beside its floor (the values alone as JSON, the DuckDB query alone) and the
naive map, the EPCI map, portraits (a worker's first request, after the warm-up `itdd serve` gives
it and without it, then others, warm; floor: the values query), the indicator pages, and the PSS of `itdd serve` after serving them. Times are
server side (Flask test client, no response cache). `--serving` prints only these, at Gironde and
national size; `--national-db PATH` reuses a national-size database instead of making one (about
8 minutes: the FR synthetic build, densified, the value stages run again).

`--load` measures serving instead: 50 simulated users with 2-5 s think time over a mix of map
pages, map switches (through `_dash-update-component`, with the table they update), table
sorts, portraits and CSV downloads, for 60 s on `itdd serve --workers 2` (gunicorn), then the
same while `itdd build` swaps a new file in 5 times: p50, p95, p99, errors, server memory; then
closed-loop throughput at 1, 10 and 50 clients against the development server and gunicorn
(and, with `--compare-with DIR`, another checkout's own `itdd serve`: `git archive main | tar
-x -C DIR` gives today's). Traffic goes only to 127.0.0.1; every phase stops by itself.

Load figures are for the embedded Gironde data (534 communes + 2: snapshot and extract), on this machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# The package beside this script; importing it puts this checkout's code first on the import path.
from bench.full import full_benchmark
from bench.load import load_benchmark
from bench.maps import map_benchmark
from bench.publish import publish_benchmark
from bench.serving import serving_benchmark


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="Gironde builds and publishes: the median run's figures")
    parser.add_argument("--switches", type=int, default=50)
    parser.add_argument("--territories-only", action="store_true", help="only the builds of each size of territory")
    parser.add_argument("--map-only", action="store_true", help="only the Gironde map: bytes and callback time")
    parser.add_argument(
        "--scale",
        choices=["national"],
        help="national: also the value stages at national size (11 M+ values, SYNTHETIC), about 5 more minutes",
    )
    parser.add_argument("--publish", action="store_true", help="only `itdd publish` of the offline build")
    parser.add_argument(
        "--serving",
        action="store_true",
        help="only the serving rows (map, portraits, indicator pages, memory) at Gironde and national size",
    )
    parser.add_argument(
        "--national-db",
        type=Path,
        help="with --serving: a national-size database already made (by --scale national's steps), not rebuilt",
    )
    load = parser.add_argument_group("load (--load: only this, about 7 minutes)")
    load.add_argument("--load", action="store_true", help="simulated users against `itdd serve` instead")
    load.add_argument("--users", type=int, default=50, help="think-time users")
    load.add_argument("--duration", type=float, default=60, help="seconds of each think-time run")
    load.add_argument("--rebuilds", type=int, default=5, help="`itdd build` swaps during the second run")
    load.add_argument("--rebuild-nice", type=int, default=10, help="niceness of those builds (0: the server's)")
    load.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50], help="closed-loop clients")
    load.add_argument("--closed-duration", type=float, default=20, help="seconds of each closed loop")
    load.add_argument("--workers", type=int, default=2)
    load.add_argument("--threads", type=int, default=4)
    load.add_argument(
        "--compare-with", type=Path, help="a checkout of another commit (git worktree or archive): its closed loops too"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.publish:
        publish_benchmark(args.runs)
    elif args.load:
        load_benchmark(args)
    elif args.map_only:
        map_benchmark(args.switches)
    elif args.serving:
        serving_benchmark(args.switches, args.national_db)
    else:
        full_benchmark(args)


if __name__ == "__main__":
    main()
