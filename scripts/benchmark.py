"""Benchmark: build time and peak memory for a département, a région and France, the commune
map (bytes and callback time) and `itdd publish`.

The map figures compare the app's path (geometry sent once, then `Patch`es of
values) with the naive one (a fresh `px.choropleth_map` with the full GeoJSON
on every switch). Bytes are HTTP response bodies; times are server side.

The territory builds run `itdd build --mirror --territory` over made-up inputs in the
producers' layouts (tests/producer_files.py; SYNTHETIC names and values): a région-sized
one (R75, about 4,500 communes) and a France-sized one (FR, about 35,000), beside the
embedded Gironde (534 communes + 2). This only shows they run; it sets no target.

Usage: python scripts/benchmark.py [--runs 3] [--switches 50] [--territories-only]

Figures are for this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (territory, communes per département): about 4,500 and 35,000 communes
SYNTHETIC_BUILDS = (("R75", 375), ("FR", 360))


def run_measured(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run `python -m etl.cli ARGS`; its wall time in s and its own peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "etl.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"itdd {' '.join(args)} failed: {child.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def measure_builds(folder: Path, runs: int) -> tuple[list[float], float]:
    """Wall time of `itdd build --offline` in a fresh process, and its peak RSS in MiB."""
    measured = [run_measured(["build", "--offline", "--db", str(folder / f"b{n}.duckdb")]) for n in range(runs)]
    return [t for t, _ in measured], max(peak for _, peak in measured)


def synthetic_mirror(folder: Path, territory: str, per_departement: int) -> tuple[int, int]:
    """Write a made-up input for `territory` (SYNTHETIC values) in the producers' layouts;
    returns its communes (after the 2025 mergers) and EPCI."""
    sys.path.insert(0, str(ROOT / "tests"))
    from producer_files import synthetic_communes, write_mirror

    from etl.catalogue import load_catalogue
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
    each synthetic input, after the offline build of the embedded département."""
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


def measure_publish(db: Path, out: Path) -> dict:
    """`itdd publish`: time, peak memory, pages and bytes written (all, and the open-data files alone)."""
    elapsed, peak = run_measured(["publish", "--db", str(db), "--out", str(out)])
    files = [f for f in out.rglob("*") if f.is_file()]
    return {
        "seconds": elapsed,
        "peak_mib": peak,
        "pages": sum(f.suffix == ".html" for f in files),
        "bytes": sum(f.stat().st_size for f in files),
        "data_bytes": sum(f.stat().st_size for f in files if f.parent.name == "donnees"),
    }


MAP_URL = ("/carte", "?indicateur=population&niveau=commune&annee=2023")
SORT_COLUMNS = ("name", "value", "rank", "change")


def _outputs(key: str) -> list[dict] | dict:
    """The `outputs` of a callback request: a list for multi-output callbacks ("..a.b...c.d.."), else one."""
    specs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in key.strip(".").split("...")]
    return specs if key.startswith("..") else specs[0]


def _key(app, first_output: str) -> str:
    return next(k for k in app.callback_map if k.strip(".").startswith(first_output))


def _props(values: dict) -> list[dict]:
    """{"id.property": value} -> the callback request's list of inputs or state."""
    return [dict(zip(("id", "property"), k.rsplit(".", 1), strict=True), value=v) for k, v in values.items()]


def _post(client, key: str, inputs: list, state: list, changed: str):
    return client.post(
        "/_dash-update-component",
        json={"output": key, "outputs": _outputs(key), "inputs": inputs, "state": state, "changedPropIds": [changed]},
    )


def _plan(switches: int) -> list[tuple[str, str, int]]:
    """Alternate year switches and indicator switches on the commune map."""
    years = [2016, 2019, 2020, 2021, 2022, 2023]
    return [
        ("annee", "population", years[n % len(years)])
        if n % 2
        else ("indicateur", ("densite_population", "population")[n % 4 // 2], 2023)
        for n in range(switches)
    ]


def _stats(latencies: list[float], sizes: list[int]) -> dict:
    return {
        "switch_bytes": statistics.median(sizes),
        "p50": statistics.median(latencies),
        "p95": statistics.quantiles(latencies, n=20)[18],
    }


def measure_patch_path(db: Path, switches: int) -> dict:
    """The app as served: the first /carte render, then Patch switches (map + table callbacks)."""
    from dashboard.app import create_app

    app = create_app(db)
    client = app.server.test_client()
    client.get("/")
    client.get("/_dash-layout")
    router = _key(app, "_pages_content.children")
    path, search = MAP_URL
    first = _post(
        client,
        router,
        _props({"_pages_location.pathname": path, "_pages_location.search": search}),
        [],
        "_pages_location.pathname",
    )
    assert first.status_code == 200, first.status_code
    map_key, table_key = _key(app, "map.figure"), _key(app, "map-table-body.children")
    latencies, sizes, map_sizes = [], [], []
    for trigger, indicator, year in _plan(switches):
        started = time.perf_counter()
        values = {
            "indicateur": indicator,
            "niveau": "commune",
            "annee": year,
            "classes": "quantiles",
            "couleur": "valeur",
        }
        response = _post(
            client,
            map_key,
            [{"id": k, "property": "value", "value": v} for k, v in values.items()],
            [
                {"id": "map-level", "property": "data", "value": "commune"},
                {"id": "lang", "property": "data", "value": "fr"},
            ],
            f"{trigger}.value",
        )
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.data[:300]
        view = response.get_json()["response"]["map-view"]["data"]
        table = _post(
            client,
            table_key,
            [
                *_props({"map-view.data": view}),
                [{"id": {"type": "sort", "col": c}, "property": "n_clicks", "value": None} for c in SORT_COLUMNS],
                *_props({"table-prev.n_clicks": None, "table-next.n_clicks": None}),
            ],
            _props({"table-state.data": {"sort": "rank", "desc": False, "page": 0}, "lang.data": "fr"}),
            "map-view.data",
        )
        assert table.status_code == 200, table.data[:300]
        map_sizes.append(len(response.data))
        sizes.append(len(response.data) + len(table.data))
    return {"first_bytes": len(first.data), "map_only_bytes": statistics.median(map_sizes), **_stats(latencies, sizes)}


def measure_naive_path(db: Path, switches: int) -> dict:
    """A fresh px.choropleth_map with the full GeoJSON on every switch, in a one-callback Dash app."""
    import dash
    import plotly.express as px
    from dash import Input, Output, dcc

    from dashboard.queries import Database

    database = Database(db)

    app = dash.Dash(__name__)
    app.layout = dash.html.Div([dcc.Dropdown(id="indicator"), dcc.Dropdown(id="year"), dcc.Graph(id="map")])

    @app.callback(Output("map", "figure"), Input("indicator", "value"), Input("year", "value"))
    def naive(indicator, year):
        values = database.values(indicator, "commune", int(year))
        return px.choropleth_map(
            values,
            geojson=database.geojson("commune"),
            locations="code",
            featureidkey="id",
            color="value",
            hover_name="name",
            map_style="white-bg",
            center={"lon": -0.6, "lat": 44.85},
            zoom=7.6,
        )

    client = app.server.test_client()
    client.get("/")
    key = _key(app, "map.figure")
    latencies, sizes = [], []
    for _trigger, indicator, year in [("indicator", "population", 2023), *_plan(switches)]:
        started = time.perf_counter()
        response = _post(
            client,
            key,
            _props({"indicator.value": indicator, "year.value": year}),
            [],
            "year.value",
        )
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.data[:300]
        sizes.append(len(response.data))
    return {"first_bytes": sizes[0], **_stats(latencies[1:], sizes[1:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--switches", type=int, default=50)
    parser.add_argument("--territories-only", action="store_true", help="only the builds of each size of territory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        territories = measure_territories(Path(tmp))
    print("build of a territory (synthetic inputs: SYNTHETIC values in the producers' layouts, via --mirror):")
    print(f"{'territory':16}{'communes':>10}{'EPCI':>7}{'time':>10}{'peak RSS':>12}")
    for territory, communes, epci, seconds, peak_mib in territories:
        print(f"{territory:16}{communes:>10,}{epci:>7,}{seconds:>8.1f} s{peak_mib:>8.0f} MiB")
    if args.territories_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        times, peak = measure_builds(folder, args.runs)
        patch = measure_patch_path(folder / "b0.duckdb", args.switches)
        naive = measure_naive_path(folder / "b0.duckdb", args.switches)
        db_bytes = (folder / "b0.duckdb").stat().st_size
        published = measure_publish(folder / "b0.duckdb", folder / "site")
        mirror = Path(__file__).resolve().parents[2] / "shared" / "opendata"
        mirrored = (
            run_measured(["build", "--mirror", str(mirror), "--db", str(folder / "m.duckdb")])
            if mirror.is_dir()
            else None
        )
    print(f"build --offline     median {statistics.median(times):.2f} s over {args.runs} runs (min {min(times):.2f} s)")
    print(f"build peak memory   {peak:.0f} MiB (RSS of the build process)")
    print(f"database size       {db_bytes / 1e6:.1f} MB")
    if mirrored:
        print(f"build --mirror      {mirrored[0]:.2f} s, peak {mirrored[1]:.0f} MiB (../shared/opendata)")
    print(f"Gironde commune map, {args.switches} switches of indicator or year (server side, Flask test client):")
    print(f"{'':22}{'Patch (app)':>14}{'naive px':>14}")
    rows = [
        ("first map response", patch["first_bytes"] / 1e3, naive["first_bytes"] / 1e3, "kB"),
        ("switch, all outputs", patch["switch_bytes"] / 1e3, naive["switch_bytes"] / 1e3, "kB"),
        ("switch, map callback", patch["map_only_bytes"] / 1e3, naive["switch_bytes"] / 1e3, "kB"),
        ("map callback p50", patch["p50"], naive["p50"], "ms"),
        ("map callback p95", patch["p95"], naive["p95"], "ms"),
    ]
    for name, ours, theirs, unit in rows:
        print(f"{name:22}{ours:>11.1f} {unit}{theirs:>11.1f} {unit}")
    print(f"a switch sends {naive['switch_bytes'] / patch['switch_bytes']:.0f}x fewer bytes than the naive approach")
    print(
        f"publish             {published['seconds']:.1f} s, peak {published['peak_mib']:.0f} MiB; "
        f"{published['pages']} pages, {published['bytes'] / 1e6:.1f} MB in all, "
        f"{published['data_bytes'] / 1e6:.1f} MB of open-data files"
    )


if __name__ == "__main__":
    main()
