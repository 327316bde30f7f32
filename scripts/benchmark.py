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

Serving rows (issue #14's table), at Gironde size, ~10x (R75) and, with `--scale national`, national
size: the commune map's first response, outlines, a switch (map and table callbacks: bytes, gzip
bytes, p50 and p95) beside its floor (the values alone as JSON, the DuckDB query alone) and the
naive map, the EPCI map, portraits (the first of a fresh app, cold, then others, warm; floor: the
values query), the indicator pages, and the PSS of `itdd serve` after serving them. Times are
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
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's code, not the installed one (a worktree measures its own)
# (territory, communes per département): about 4,500 and 35,000 communes
SYNTHETIC_BUILDS = (("R75", 375), ("FR", 360))


def run_measured(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run `python -m itdd.cli ARGS`; its wall time in s and its own peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "itdd.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
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
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the value stages failed on {db}")
    return {**json.loads(output), "peak_mib": usage.ru_maxrss / 1024}


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


def measure_publish(db: Path, out: Path) -> dict:
    """`itdd publish`: time, CPU time (its processes together), peak memory, pages and bytes
    written (all, and the open-data files alone)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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


# France at national size: about 35,000 communes, 1,250 EPCI, 101 départements, 18 régions, France
# and France métropolitaine (INSEE's counts), each with a portrait in each language of the site.
NATIONAL_TERRITORIES = 35_000 + 1_250 + 101 + 18 + 2


def print_publish(published: dict, territories: int) -> None:
    """The publish figures, and the national estimate: this build's time per page (wall and CPU)
    times the national page count, the pages other than portraits scaling with the catalogue
    only. An extrapolation, not a measure: it holds if a page's cost does not grow with the
    country (each portrait reads its own territories' rows, `dashboard/site_data.py`)."""
    pages = published["pages"]
    languages = published["portraits"] / territories  # a portrait of each territory in each language
    national_pages = round(pages + languages * (NATIONAL_TERRITORIES - territories))
    cores = os.cpu_count() or 1
    print(
        f"publish             {published['seconds']:.1f} s ({published['cpu_seconds']:.0f} CPU s on {cores} cores), "
        f"peak {published['peak_mib']:.0f} MiB; {pages} pages, {published['bytes'] / 1e6:.1f} MB in all, "
        f"{published['data_bytes'] / 1e6:.1f} MB of open-data files"
    )
    print(
        f"publish, national estimate (extrapolated, not measured): {national_pages:,} pages, "
        f"{published['seconds'] / pages * national_pages / 60:.0f} min at this run's time per page, "
        f"{published['cpu_seconds'] / pages * national_pages / cores / 60:.0f} min at its CPU time per page on "
        f"{cores} cores"
    )


def publish_benchmark() -> None:
    """`--publish`: only `itdd publish` of the offline Gironde build."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_measured(["build", "--offline", "--db", str(folder / "b0.duckdb")])
        published = measure_publish(folder / "b0.duckdb", folder / "site")
        territories = _territory_count(folder / "b0.duckdb")
    print_publish(published, territories)


def _territory_count(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM territories").fetchone()[0]


MAP_URL = ("/carte", "?indicateur=population&niveau=commune")  # its latest year
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


def _plan(db: Path, switches: int) -> list[tuple[str, str, int]]:
    """Alternate indicator switches (to each commune indicator in turn, at its latest year) and year
    switches (back through that indicator's years) on the commune map: distinct views, so that no
    answer is one already computed."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT indicator_id, list(DISTINCT year ORDER BY year DESC) FROM indicator_values "
            "WHERE level = 'commune' AND value IS NOT NULL GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    plan, turn = [], 0
    while len(plan) < switches:
        indicator, years = rows[turn % len(rows)]
        plan.append(("indicateur", indicator, years[0]))
        plan += [("annee", indicator, year) for year in years[1 : 1 + turn // len(rows) + 1]]
        turn += 1
    return plan[:switches]


def _stats(latencies: list[float], sizes: list[int]) -> dict:
    return {
        "switch_bytes": statistics.median(sizes),
        "p50": statistics.median(latencies),
        "p95": statistics.quantiles(latencies, n=20)[18],
    }


def _wire(body: bytes) -> int:
    """The bytes an answer takes on the wire to a browser (gzip, dashboard.compression)."""
    from dashboard.compression import MIN_BYTES, compressed

    return len(compressed(body)) if len(body) >= MIN_BYTES else len(body)


def _timed(call) -> tuple[object, float]:
    started = time.perf_counter()
    found = call()
    return found, (time.perf_counter() - started) * 1000


def measure_patch_path(db: Path, switches: int) -> dict:
    """The app as served, without the response cache (the server's own work): the first /carte
    render, then `switches` distinct Patch switches (the map's callback, then the table's with
    the view it returned), a level switch to the EPCI; and the floor of a switch: the bytes of its
    values alone (JSON) and the DuckDB query alone (`queries.map_values`)."""
    from dashboard import database, queries
    from dashboard.app import create_app

    app = create_app(db, cache=False)
    client = app.server.test_client()
    client.get("/")
    client.get("/_dash-layout")
    router = _key(app, "_pages_content.children")
    path, search = MAP_URL
    first, first_ms = _timed(
        lambda: _post(
            client,
            router,
            _props({"_pages_location.pathname": path, "_pages_location.search": search}),
            [],
            "_pages_location.pathname",
        )
    )
    assert first.status_code == 200, first.status_code
    map_key, table_key = _key(app, "map.figure"), _key(app, "map-table-body.children")
    latencies, with_table, sizes, map_sizes, floor_bytes, floor_ms, wire = [], [], [], [], [], [], []
    database = database.Database(db)
    for trigger, indicator, year in _plan(db, switches):
        values = {
            "indicateur": indicator,
            "niveau": "commune",
            "annee": year,
            "classes": "quantiles",
            "couleur": "valeur",
        }
        response, map_ms = _timed(
            lambda values=values, trigger=trigger: _post(
                client,
                map_key,
                [{"id": k, "property": "value", "value": v} for k, v in values.items()],
                [
                    {"id": "map-level", "property": "data", "value": "commune"},
                    {"id": "lang", "property": "data", "value": "fr"},
                ],
                f"{trigger}.value",
            )
        )
        assert response.status_code == 200, response.data[:300]
        view = response.get_json()["response"]["map-view"]["data"]
        table, table_ms = _timed(
            lambda view=view: _post(
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
        )
        assert table.status_code == 200, table.data[:300]
        latencies.append(map_ms)
        with_table.append(map_ms + table_ms)
        map_sizes.append(len(response.data))
        sizes.append(len(response.data) + len(table.data))
        wire.append(_wire(response.data) + _wire(table.data))
        rows, query_ms = _timed(lambda indicator=indicator, year=year: database.run(
            queries.map_values, indicator, "commune", year))  # fmt: skip
        floor_ms.append(query_ms)
        floor_bytes.append(len(json.dumps([None if v != v else v for v in rows["value"].tolist()])))
    level, level_ms = _timed(
        lambda: _post(
            client,
            map_key,
            _props({"indicateur.value": "population", "niveau.value": "epci", "annee.value": 2023,
                    "classes.value": "quantiles", "couleur.value": "valeur"}),
            _props({"map-level.data": "commune", "lang.data": "fr"}),
            "niveau.value",
        )
    )  # fmt: skip
    assert level.status_code == 200, level.data[:300]
    outlines, epci_outlines = _outline_bodies(client, first.get_json()), _outline_bodies(client, level.get_json())
    return {
        "first_bytes": len(first.data),
        "first_wire": _wire(first.data),
        "outline_wire": _wire(outlines),
        "switch_wire": statistics.median(wire),
        "level_wire": _wire(level.data),
        "epci_outline_wire": _wire(epci_outlines),
        "first_ms": first_ms,
        "outline_bytes": len(outlines),
        "level_bytes": len(level.data),
        "level_ms": level_ms,
        "epci_outline_bytes": len(epci_outlines),
        "map_only_bytes": statistics.median(map_sizes),
        "table_p50": statistics.median(with_table),
        "table_p95": statistics.quantiles(with_table, n=20)[18],
        "floor_bytes": statistics.median(floor_bytes),
        "floor_ms": statistics.median(floor_ms),
        **_stats(latencies, sizes),
    }


def _outline_bodies(client, page: dict) -> bytes:
    """The outlines the map asks for by URL (empty when they are inside the page)."""
    text = json.dumps(page)
    start = text.find("/carte/contours/")
    if start < 0:
        return b""
    url = text[start : text.index('"', start)]
    response = client.get(url)
    assert response.status_code == 200, url
    return response.data


def measure_naive_path(db: Path, switches: int) -> dict:
    """A fresh px.choropleth_map with the full GeoJSON on every switch, in a one-callback Dash app."""
    import dash
    import plotly.express as px
    from dash import Input, Output, dcc

    from dashboard.database import Database

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
    for _trigger, indicator, year in [("indicator", "population", 2023), *_plan(db, switches)]:
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


# --- Serving pages at each size: portraits, indicator sheets, the server's memory ------------------

PORTRAITS = 20  # territories whose portraits are timed after the first (cold) one
SHEETS = ("population", "taux_pauvrete", "indice_developpement_humain")  # a count, a ratio, a composite


def _spread(db: Path, level: str, count: int) -> list[str]:
    """`count` codes of a level spread evenly over the code order (the same ones at each run)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        codes = [
            c for (c,) in con.execute("SELECT code FROM territories WHERE level = ? ORDER BY code", [level]).fetchall()
        ]
    return codes[:: max(1, len(codes) // count)][:count]


def serving_paths(db: Path) -> tuple[list[str], list[str]]:
    """The portraits (communes spread over the country, an EPCI, a département) and the indicator sheets measured."""
    portraits = [f"/territoire/commune/{c}" for c in _spread(db, "commune", PORTRAITS + 1)]
    portraits += [f"/territoire/{level}/{c}" for level in ("epci", "departement") for c in _spread(db, level, 1)]
    return portraits, [f"/indicateur/{i}" for i in SHEETS]


def measure_pages(db: Path) -> dict:
    """Bytes and server-side time of pages as the page router serves them (Flask test client, no
    response cache): the first portrait of a fresh app (cold: nothing read yet), the others (warm),
    the indicator sheets; the floor of a portrait: its values query alone (`queries.territory_values`)."""
    from dashboard import database, queries
    from dashboard.app import create_app

    app = create_app(db, cache=False)
    client = app.server.test_client()
    client.get("/")
    router = _key(app, "_pages_content.children")

    def page(path: str) -> tuple[bytes, float]:
        response, ms = _timed(lambda: _post(client, router, _props({"_pages_location.pathname": path,
                                                                      "_pages_location.search": ""}), [],
                                            "_pages_location.pathname"))  # fmt: skip
        assert response.status_code == 200, (path, response.status_code)
        return response.data, ms

    portraits, sheets = serving_paths(db)
    cold_bytes, cold_ms = page(portraits[0])
    warm = [page(path) for path in portraits[1:]]
    sheet = [page(path) for path in sheets]
    database = database.Database(db)
    floor = [_timed(lambda path=path: database.run(queries.territory_values, [tuple(path.split("/")[2:4])]))[1]
             for path in portraits[1:]]  # fmt: skip
    warm_ms = [ms for _, ms in warm]
    portrait_bodies = [cold_bytes, *(b for b, _ in warm)]
    return {
        "portrait_cold_ms": cold_ms,
        "portrait_bytes": statistics.median(len(b) for b in portrait_bodies),
        "portrait_wire": statistics.median(_wire(b) for b in portrait_bodies),
        "portrait_p50": statistics.median(warm_ms),
        "portrait_max": max(warm_ms),
        "portrait_floor_ms": statistics.median(floor),
        "sheet_bytes": max(len(b) for b, _ in sheet),
        "sheet_wire": max(_wire(b) for b, _ in sheet),
        "sheet_ms": max(ms for _, ms in sheet),
    }


def measure_serve_memory(db: Path) -> float:
    """PSS (MiB) of `itdd serve` (gunicorn, its default workers and threads) after it served, over
    HTTP, the map of each level with a few switches, the portraits and the indicator sheets."""
    import requests

    portraits, sheets = serving_paths(db)
    site = Site(db)
    with Server(db) as server:
        for level in ("commune", "epci", "departement"):
            requests.post(server.base + "/_dash-update-component", timeout=REQUEST_TIMEOUT,
                          json=site.route("/carte", f"?indicateur=population&niveau={level}"))  # fmt: skip
        for _trigger, indicator, year in _plan(db, 10):
            values = {"indicateur.value": indicator, "niveau.value": "commune", "annee.value": year,
                      "classes.value": "quantiles", "couleur.value": "valeur", "map-level.data": "commune",
                      "lang.data": "fr"}  # fmt: skip
            requests.post(server.base + "/_dash-update-component", json=site.body("switch", values, "annee.value"),
                          timeout=REQUEST_TIMEOUT)  # fmt: skip
        for path in [*portraits, *sheets]:
            requests.post(server.base + "/_dash-update-component", json=site.route(path), timeout=REQUEST_TIMEOUT)
        return server.memory_mib()


NAIVE_SWITCHES = 5  # the naive map resends every outline: seconds a switch at national size


def measure_serving(db: Path, switches: int) -> dict:
    """The serving rows of issue #14 on one database: map (and the naive map's switch), pages, memory."""
    naive = measure_naive_path(db, NAIVE_SWITCHES)
    return {**measure_patch_path(db, switches), "naive_bytes": naive["switch_bytes"], "naive_p50": naive["p50"],
            **measure_pages(db), "serve_mib": measure_serve_memory(db)}  # fmt: skip


def print_serving(sizes: dict[str, dict]) -> None:
    """One column per size (Gironde, national...), one row per measure."""
    rows = [
        ("commune map, first response", "first_bytes", "kB"),
        ("  gzip (on the wire)", "first_wire", "kB"),
        ("  its time", "first_ms", "ms"),
        ("  outlines asset (once, cached)", "outline_bytes", "kB"),
        ("  gzip", "outline_wire", "kB"),
        ("map switch, map callback", "map_only_bytes", "kB"),
        ("  with the table", "switch_bytes", "kB"),
        ("  with the table, gzip", "switch_wire", "kB"),
        ("  floor: the values alone", "floor_bytes", "kB"),
        ("  map callback p50", "p50", "ms"),
        ("  map callback p95", "p95", "ms"),
        ("  with the table p50", "table_p50", "ms"),
        ("  with the table p95", "table_p95", "ms"),
        ("  floor: DuckDB query p50", "floor_ms", "ms"),
        ("  naive: px map with its GeoJSON", "naive_bytes", "kB"),
        ("  naive: its time p50", "naive_p50", "ms"),
        ("EPCI map (level switch)", "level_bytes", "kB"),
        ("  gzip", "level_wire", "kB"),
        ("  its time", "level_ms", "ms"),
        ("  EPCI outlines asset", "epci_outline_bytes", "kB"),
        ("  gzip", "epci_outline_wire", "kB"),
        ("portrait, cold (first request)", "portrait_cold_ms", "ms"),
        ("portrait, warm p50", "portrait_p50", "ms"),
        ("portrait, warm max", "portrait_max", "ms"),
        ("  floor: values query p50", "portrait_floor_ms", "ms"),
        ("  portrait bytes (median)", "portrait_bytes", "kB"),
        ("  gzip", "portrait_wire", "kB"),
        ("indicator page (largest)", "sheet_bytes", "kB"),
        ("  gzip", "sheet_wire", "kB"),
        ("  its time (slowest)", "sheet_ms", "ms"),
        ("itdd serve memory (PSS)", "serve_mib", "MiB"),
    ]
    print("serving, server side (Flask test client, no response cache; memory: `itdd serve`, gunicorn 2×4):")
    print(f"{'':34}" + "".join(f"{name:>16}" for name in sizes))
    for label, key, unit in rows:
        scale = 1e3 if unit == "kB" else 1
        print(f"{label:34}" + "".join(f"{found[key] / scale:>12.1f} {unit:3}" for found in sizes.values()))


# --- Load: simulated users against `itdd serve`, gunicorn and the development server -------------

MIX = {"map page": 15, "map switch": 40, "table sort": 15, "portrait": 20, "csv": 10}  # weights of user actions
THINK_SECONDS = (2.0, 5.0)
REQUEST_TIMEOUT = 30.0
LOAD_SEED = 15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_memory_mib(pid: int) -> float:
    """Memory of a process and all its descendants (gunicorn's master and workers), in MiB: the sum
    of their proportional set sizes (a page shared by n processes counts 1/n in each)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total / 1024


class Server:
    """`itdd serve ARGS` on a free port of 127.0.0.1, in its own process group; stopped on exit.

    `tree`: another checkout whose own code serves (its folder comes first on the import path).
    """

    def __init__(self, db: Path, *args: str, tree: Path | None = None) -> None:
        self.db, self.args, self.port, self.tree = db, args, _free_port(), tree
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        import requests

        command = [sys.executable, "-m", "itdd.cli", "serve", "--db", str(self.db), "--host", "127.0.0.1"]
        env = {**os.environ, "PYTHONPATH": str(self.tree)} if self.tree else None
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *self.args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.tree,  # `python -m` looks in the working folder first
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"itdd serve {' '.join(self.args)} exited with {self.process.returncode}")
            try:
                requests.get(self.base + "/_dash-layout", timeout=5)
                return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"itdd serve {' '.join(self.args)} did not answer within 60 s")

    def __exit__(self, *_exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def memory_mib(self) -> float:
        return tree_memory_mib(self.process.pid)


class Site:
    """What users ask for, read from the database: commune indicators with their years, territories,
    and the callback bodies as the browser posts them."""

    def __init__(self, db: Path) -> None:
        import duckdb

        from dashboard.app import create_app
        from dashboard.hardening import callback_key, callback_request
        from dashboard.maps.table import DEFAULT_TABLE

        self.callback_request, self.default_table = callback_request, DEFAULT_TABLE
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.execute(
                "SELECT indicator_id, list(DISTINCT year ORDER BY year) FROM indicator_values "
                "WHERE level = 'commune' AND value IS NOT NULL GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            self.territories = con.execute(
                "SELECT level, code FROM territories WHERE level IN ('commune', 'epci') ORDER BY ALL"
            ).fetchall()
            # The map view the browser keeps (MapView.public) carries each indicator's unit and polarity.
            self.meta = {
                i: (u, p) for i, u, p in con.execute("SELECT indicator_id, unit, polarity FROM indicators").fetchall()
            }
        self.years = {indicator: years for indicator, years in rows}
        app = create_app(db)
        app.server.test_client().get("/")  # Dash registers its page router on the first request
        self.callbacks = app.callback_map
        self.keys = {
            name: callback_key(self.callbacks, first)
            for name, first in [
                ("router", "_pages_content.children"),
                ("switch", "map.figure"),
                ("table", "map-table-body.children"),
            ]
        }

    def body(self, name: str, values: dict, changed: str | None = None) -> dict:
        return self.callback_request(self.callbacks, self.keys[name], values, changed)

    def route(self, path: str, search: str = "") -> dict:
        return self.body("router", {"_pages_location.pathname": path, "_pages_location.search": search})


@dataclass
class Sample:
    action: str
    status: int | str  # an HTTP status, or the exception's name
    ms: float
    detail: str = ""  # the exception's message


class User:
    """One simulated visitor: a map view of their own, actions drawn from MIX."""

    def __init__(self, site: Site, base: str, rng: random.Random, samples: list[Sample]) -> None:
        import requests

        self.site, self.base, self.rng, self.samples = site, base, rng, samples
        self.session = requests.Session()
        self.indicator = rng.choice(sorted(site.years))
        self.year = site.years[self.indicator][-1]

    def _request(self, action: str, method: str, path: str, body: dict | None = None):
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, json=body, timeout=REQUEST_TIMEOUT)
            status = response.status_code
        except Exception as e:  # noqa: BLE001 (any failure is an error of the run, counted)
            response, status, detail = None, type(e).__name__, str(e)[:200]
        else:
            detail = "" if status in (200, 204) else f"{method} {path}"
        self.samples.append(Sample(action, status, (time.perf_counter() - started) * 1000, detail))
        return response if status in (200, 204) else None

    def _view(self) -> dict:
        unit, polarity = self.site.meta[self.indicator]
        return {"indicator": self.indicator, "level": "commune", "year": self.year, "classes": "quantiles",
                "colour": "valeur", "unit": unit, "polarity": polarity}  # fmt: skip

    def act(self) -> None:
        action = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        getattr(self, "_" + action.replace(" ", "_"))(action)

    def _map_page(self, action: str) -> None:
        search = f"?indicateur={self.indicator}&niveau=commune&annee={self.year}"
        self._request(action, "GET", "/carte" + search)
        self._request(action, "GET", "/_dash-layout")
        self._request(action, "GET", "/_dash-dependencies")
        self._request(action, "POST", "/_dash-update-component", self.site.route("/carte", search))

    def _map_switch(self, action: str) -> None:
        """A year or indicator switch, then the table the browser asks for with the new view."""
        if self.rng.random() < 0.5:
            self.indicator, changed = self.rng.choice(sorted(self.site.years)), "indicateur.value"
            self.year = self.site.years[self.indicator][-1]
        else:
            self.year, changed = self.rng.choice(self.site.years[self.indicator]), "annee.value"
        values = {"indicateur.value": self.indicator, "niveau.value": "commune", "annee.value": self.year,
                  "classes.value": "quantiles", "couleur.value": "valeur", "map-level.data": "commune",
                  "lang.data": "fr"}  # fmt: skip
        response = self._request(action, "POST", "/_dash-update-component", self.site.body("switch", values, changed))
        if response is not None:
            view = response.json()["response"]["map-view"]["data"]
            self._table(action, {"map-view.data": view}, "map-view.data")

    def _table(self, action: str, values: dict, changed: str) -> None:
        state = dict(self.site.default_table)
        values = {"map-view.data": self._view(), "table-state.data": state, "lang.data": "fr", **values}
        body = self.site.body("table", values, changed)
        self._request(action, "POST", "/_dash-update-component", body)

    def _table_sort(self, action: str) -> None:
        column = self.rng.choice(SORT_COLUMNS)
        button = {"col": column, "type": "sort"}
        values = {'{"col":["ALL"],"type":"sort"}.n_clicks': [{"id": button, "value": 1}]}
        self._table(action, values, json.dumps(button, separators=(",", ":")) + ".n_clicks")

    def _portrait(self, action: str) -> None:
        level, code = self.rng.choice(self.site.territories)
        self._request(action, "POST", "/_dash-update-component", self.site.route(f"/territoire/{level}/{code}"))

    def _csv(self, action: str) -> None:
        self._request(action, "GET", f"/telecharger/{self.indicator}.csv?niveau=commune&annee={self.year}")


def run_users(site: Site, server: Server, users: int, seconds: float, think: bool, seed: int, during=None) -> dict:
    """`users` simulated users for `seconds` (think time between actions, or none: a closed loop).

    `during(stop_event)` runs beside them (the rebuilds). Returns the samples and the server's memory.
    """
    samples: list[Sample] = []
    memory: list[float] = []
    stop = threading.Event()
    deadline = time.monotonic() + seconds

    def visitor(n: int) -> None:
        rng = random.Random(f"{LOAD_SEED}-{seed}-{n}")  # each run its own visitors: no cache warmed by another
        user = User(site, server.base, rng, samples)
        if think:  # staggered arrivals, then one action every 2-5 s
            stop.wait(rng.uniform(0, THINK_SECONDS[1]))
        while time.monotonic() < deadline and not stop.is_set():
            user.act()
            if think:
                stop.wait(rng.uniform(*THINK_SECONDS))

    def sampler() -> None:
        while not stop.wait(0.5):
            memory.append(server.memory_mib())

    threads = [threading.Thread(target=visitor, args=(n,), daemon=True) for n in range(users)]
    helpers = [threading.Thread(target=sampler, daemon=True)]
    if during:
        helpers.append(threading.Thread(target=during, args=(deadline,), daemon=True))
    started = time.monotonic()
    for thread in threads + helpers:
        thread.start()
    for thread in threads:
        thread.join(seconds + 2 * REQUEST_TIMEOUT)
    elapsed = time.monotonic() - started
    stop.set()
    for thread in helpers:
        thread.join(120)
    return {"samples": list(samples), "seconds": elapsed, "memory_peak": max(memory, default=0.0),
            "memory_end": memory[-1] if memory else 0.0}  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def load_summary(run: dict) -> dict:
    ms = [s.ms for s in run["samples"]]
    errors = [s for s in run["samples"] if s.status not in (200, 204)]
    return {
        "requests": len(ms),
        "per_second": len(ms) / run["seconds"],
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "errors": len(errors),
        "error_kinds": dict(Counter(str(s.status) for s in errors)),
        "first_error": errors[0].detail if errors else "",
        "memory_peak": run["memory_peak"],
        "memory_end": run["memory_end"],
        "by_action": {
            action: (
                sum(s.action == action for s in run["samples"]),
                percentile([s.ms for s in run["samples"] if s.action == action], 95),
            )
            for action in MIX
        },  # fmt: skip
    }


def rebuilds(db: Path, count: int, cache: Path, niceness: int):
    """`count` runs of `itdd build --offline --db DB` at `niceness`, spread over the run: each swaps a new file in."""
    done: list[float] = []

    def rebuild(deadline: float) -> None:
        period = (deadline - time.monotonic()) / (count + 1)
        for n in range(count):
            time.sleep(max(0.0, deadline - (count - n) * period - time.monotonic()))
            env = {**os.environ, "ITDD_CACHE": str(cache)}
            command = [sys.executable, "-m", "itdd.cli", "build", "--offline", "--db", str(db)]
            started = time.monotonic()
            subprocess.run(
                command,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
                preexec_fn=lambda: os.nice(niceness),  # a cron job below the server, as the README advises
            )
            done.append(time.monotonic() - started)

    return rebuild, done


def connection_costs(db: Path, runs: int = 200) -> tuple[float, float]:
    """Median ms of one small query on a connection opened for it, against a cursor of the open version."""
    import duckdb

    from dashboard.database import Database
    from dashboard.queries import available_years

    def fresh() -> None:
        with duckdb.connect(":memory:") as con:
            con.execute(f"ATTACH '{db}' AS itdd (TYPE duckdb, READ_ONLY)")
            con.execute("USE itdd")
            available_years(con, "population", "commune")

    database = Database(db)

    def shared() -> None:
        database.years("population", "commune")

    timings = []
    for query in (fresh, shared):
        measured = []
        for _ in range(runs):
            started = time.perf_counter()
            query()
            measured.append((time.perf_counter() - started) * 1000)
        timings.append(statistics.median(measured))
    return timings[0], timings[1]


def load_benchmark(args) -> None:
    """Think-time users on gunicorn (with the response cache, during rebuilds, without the cache),
    then closed loops on the development server and gunicorn."""
    gunicorn = ["--workers", str(args.workers), "--threads", str(args.threads)]
    name = f"gunicorn {args.workers}x{args.threads}"
    servers = {"development server, no cache": ["--dev", "--no-cache"], f"{name}, no cache": [*gunicorn, "--no-cache"],
               f"{name}, cache": gunicorn}  # fmt: skip
    if args.compare_with:  # another checkout's `itdd serve`, with its own defaults
        servers = {f"{args.compare_with.name}'s itdd serve": [], **servers}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "itdd.duckdb"
        run_measured(["build", "--offline", "--db", str(db)])
        site = Site(db)
        fresh, shared = connection_costs(db)
        think = {}
        with Server(db, *gunicorn) as server:
            think[f"{name}, cache"] = load_summary(run_users(site, server, args.users, args.duration, True, 1))
            rebuild, built = rebuilds(db, args.rebuilds, folder / "cache", args.rebuild_nice)
            run = run_users(site, server, args.users, args.duration, True, 2, during=rebuild)
            think[f"{name}, cache, {args.rebuilds} rebuilds swapped in"] = load_summary(run)
        with Server(db, *gunicorn, "--no-cache") as server:
            think[f"{name}, no cache"] = load_summary(run_users(site, server, args.users, args.duration, True, 3))
        closed = {}
        for label, server_args in servers.items():
            tree = args.compare_with if label.endswith("'s itdd serve") else None
            with Server(db, *server_args, tree=tree) as server:
                for clients in args.clients:
                    closed[(label, clients)] = load_summary(
                        run_users(site, server, clients, args.closed_duration, False, 10 + clients)
                    )
    print(f"Load on 127.0.0.1 ({os.cpu_count()} cores, shared by clients and server), offline build, seed {LOAD_SEED}")
    print(f"database connection: a query on a connection opened for it {fresh:.2f} ms, "
          f"on a cursor of the open version {shared:.2f} ms (median of 200)")  # fmt: skip
    print(
        f"{args.users} users, {THINK_SECONDS[0]:.0f}-{THINK_SECONDS[1]:.0f} s think time, {args.duration:.0f} s each:"
    )
    for label, r in think.items():
        print(f"  {label}: {r['requests']} requests ({r['per_second']:.1f}/s), p50 {r['p50']:.0f} ms, "
              f"p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms, errors {r['errors']} {r['error_kinds'] or ''}; "
              f"memory peak {r['memory_peak']:.0f} MiB, end {r['memory_end']:.0f} MiB")  # fmt: skip
        print("    p95 by action: " + ", ".join(f"{a} {p:.0f} ms ({n})" for a, (n, p) in r["by_action"].items()))
        if r["first_error"]:
            print(f"    first error: {r['first_error']}")
    print(f"  rebuilds: {len(built)} of {args.rebuilds} (nice {args.rebuild_nice}), "
          f"{', '.join(f'{s:.1f}' for s in built)} s each")  # fmt: skip
    print("  memory: PSS of the server's processes (gunicorn: master and workers)")
    print(f"closed loop (no think time), {args.closed_duration:.0f} s each: requests/s, p95, errors, memory peak")
    print(f"  {'clients':>7}" + "".join(f"  {label:>36}" for label in servers))
    for clients in args.clients:
        cells = [closed[(label, clients)] for label in servers]
        print(f"  {clients:>7}" + "".join(
            f"  {r['per_second']:7.1f}/s {r['p95']:6.0f} ms {r['errors']:4d} err {r['memory_peak']:5.0f} MiB"
            for r in cells))  # fmt: skip


def map_benchmark(switches: int) -> None:
    """`--map-only`: the Gironde commune map as served, over an offline build."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "itdd.duckdb"
        run_measured(["build", "--offline", "--db", str(db)])
        patch = measure_patch_path(db, switches)
    print(f"Gironde commune map, {switches} switches of indicator or year (server side, Flask test client):")
    print(f"  first map response    {patch['first_bytes'] / 1e3:8.1f} kB")
    print(f"  outlines asset        {patch['outline_bytes'] / 1e3:8.1f} kB (once, cacheable; 0: inside the page)")
    print(f"  switch, map callback  {patch['map_only_bytes'] / 1e3:8.1f} kB")
    print(f"  switch, with table    {patch['switch_bytes'] / 1e3:8.1f} kB")
    print(f"  level switch (EPCI)   {patch['level_bytes'] / 1e3:8.1f} kB")
    print(f"  map callback p50 {patch['p50']:.0f} ms, p95 {patch['p95']:.0f} ms")


def serving_benchmark(switches: int, national_db: Path | None) -> None:
    """`--serving`: the serving rows over the offline Gironde build and a national-size database
    (`national_db`, or made as `--scale national` makes it: the FR synthetic build, densified)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_measured(["build", "--offline", "--db", str(folder / "gironde.duckdb")])
        sizes = {"Gironde": measure_serving(folder / "gironde.duckdb", switches)}
        if national_db is None:
            measure_territories(folder)
            measure_national_scale(folder)
            national_db = folder / NATIONAL_SIZE_DB
        sizes["national"] = measure_serving(national_db, switches)
    print_serving(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
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
    args = parser.parse_args()
    if args.publish:
        publish_benchmark()
        return
    if args.load:
        load_benchmark(args)
        return
    if args.map_only:
        map_benchmark(args.switches)
        return
    if args.serving:
        serving_benchmark(args.switches, args.national_db)
        return
    with tempfile.TemporaryDirectory() as tmp:
        territories = measure_territories(Path(tmp))
        national_peers = measure_peers(Path(tmp) / f"{SYNTHETIC_BUILDS[-1][0]}.duckdb")
        national_scale = measure_national_scale(Path(tmp)) if args.scale == "national" else None
        serving = {"R75 (~10x)": measure_serving(Path(tmp) / "R75.duckdb", args.switches)}
        if national_scale:
            serving["national"] = measure_serving(Path(tmp) / NATIONAL_SIZE_DB, args.switches)
    print("build of a territory (synthetic inputs: SYNTHETIC values in the producers' layouts, via --mirror):")
    print(f"{'territory':16}{'communes':>10}{'EPCI':>7}{'time':>10}{'peak RSS':>12}")
    for territory, communes, epci, seconds, peak_mib in territories:
        print(f"{territory:16}{communes:>10,}{epci:>7,}{seconds:>8.1f} s{peak_mib:>8.0f} MiB")
    print(
        f"of which comparable territories at national size ({SYNTHETIC_BUILDS[-1][0]}): {national_peers['seconds']:.1f} s"
        f" ({national_peers['peers']:,} peer rows, {national_peers['comparisons']:,} comparisons)"
    )
    if national_scale:
        print_national_scale(*national_scale, *territories[-1][3:])
    print(
        f"a policy's effect (synthetic control + 10 placebos, SYNTHETIC panel): {measure_placebos() * 1000:.0f} ms each"
    )
    if args.territories_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        times, peak = measure_builds(folder, args.runs)
        patch = measure_patch_path(folder / "b0.duckdb", args.switches)
        naive = measure_naive_path(folder / "b0.duckdb", args.switches)
        gironde = {
            **patch,
            "naive_bytes": naive["switch_bytes"],
            "naive_p50": naive["p50"],
            **measure_pages(folder / "b0.duckdb"),
            "serve_mib": measure_serve_memory(folder / "b0.duckdb"),
        }
        serving = {"Gironde": gironde, **serving}
        db_bytes = (folder / "b0.duckdb").stat().st_size
        published = measure_publish(folder / "b0.duckdb", folder / "site")
        territories = _territory_count(folder / "b0.duckdb")
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
    print_serving(serving)
    print_publish(published, territories)


if __name__ == "__main__":
    main()
