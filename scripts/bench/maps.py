"""The commune map as served: the app's path (geometry once, then `Patch`es of values) against the
naive one (a fresh `px.choropleth_map` with the full GeoJSON on every switch), and the Dash
callback requests both are measured through (Flask test client)."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.builds import run_measured

MAP_URL = ("/carte", "?indicateur=population&niveau=commune")  # its latest year
SORT_COLUMNS = ("name", "value", "rank", "change")


def _outputs(key: str) -> list[dict] | dict:
    """The `outputs` of a callback request: a list for multi-output callbacks ("..a.b...c.d.."), else one."""
    specs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in key.strip(".").split("...")]
    return specs if key.startswith("..") else specs[0]


def key_of(app, first_output: str) -> str:
    return next(k for k in app.callback_map if k.strip(".").startswith(first_output))


def props(values: dict) -> list[dict]:
    """{"id.property": value} -> the callback request's list of inputs or state."""
    return [dict(zip(("id", "property"), k.rsplit(".", 1), strict=True), value=v) for k, v in values.items()]


def post(client, key: str, inputs: list, state: list, changed: str):
    return client.post(
        "/_dash-update-component",
        json={"output": key, "outputs": _outputs(key), "inputs": inputs, "state": state, "changedPropIds": [changed]},
    )


def switch_plan(db: Path, switches: int) -> list[tuple[str, str, int]]:
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


def wire_bytes(body: bytes) -> int:
    """The bytes an answer takes on the wire to a browser (gzip, dashboard.compression)."""
    from dashboard.compression import MIN_BYTES, compressed

    return len(compressed(body)) if len(body) >= MIN_BYTES else len(body)


def timed(call) -> tuple[object, float]:
    started = time.perf_counter()
    found = call()
    return found, (time.perf_counter() - started) * 1000


def measure_patch_path(db: Path, switches: int) -> dict:
    """The app as served, without the response cache (the server's own work): the first /carte
    render, then `switches` distinct Patch switches (the map's callback, then the table's with
    the view it returned), a level switch to the EPCI; and the floor of a switch: the bytes of its
    values alone (JSON) and the DuckDB query alone (`queries.map_values`)."""
    from dashboard.app import create_app

    app = create_app(db, cache=False)
    client = app.server.test_client()
    client.get("/")
    client.get("/_dash-layout")
    first, first_ms = _first_map(app, client)
    map_key, table_key = key_of(app, "map.figure"), key_of(app, "map-table-body.children")
    measured = _measure_switches(db, client, map_key, table_key, switches)
    level, level_ms = _level_switch(client, map_key)
    outlines, epci_outlines = _outline_bodies(client, first.get_json()), _outline_bodies(client, level.get_json())
    return {
        "first_bytes": len(first.data),
        "first_wire": wire_bytes(first.data),
        "outline_wire": wire_bytes(outlines),
        "switch_wire": statistics.median(measured["wire"]),
        "level_wire": wire_bytes(level.data),
        "epci_outline_wire": wire_bytes(epci_outlines),
        "first_ms": first_ms,
        "outline_bytes": len(outlines),
        "level_bytes": len(level.data),
        "level_ms": level_ms,
        "epci_outline_bytes": len(epci_outlines),
        "map_only_bytes": statistics.median(measured["map_sizes"]),
        "table_p50": statistics.median(measured["with_table"]),
        "table_p95": statistics.quantiles(measured["with_table"], n=20)[18],
        "floor_bytes": statistics.median(measured["floor_bytes"]),
        "floor_ms": statistics.median(measured["floor_ms"]),
        **_stats(measured["latencies"], measured["sizes"]),
    }


def _first_map(app, client):
    """The first /carte render through the page router, and its ms."""
    router = key_of(app, "_pages_content.children")
    path, search = MAP_URL
    first, first_ms = timed(
        lambda: post(
            client,
            router,
            props({"_pages_location.pathname": path, "_pages_location.search": search}),
            [],
            "_pages_location.pathname",
        )
    )
    assert first.status_code == 200, first.status_code
    return first, first_ms


def _measure_switches(db: Path, client, map_key: str, table_key: str, switches: int) -> dict[str, list]:
    """Each switch of the plan: ms and bytes of the map callback and the table's, on the wire, and
    its floor (the values query alone and their JSON bytes)."""
    from dashboard import queries
    from dashboard.database import Database

    names = ("latencies", "with_table", "sizes", "map_sizes", "floor_bytes", "floor_ms", "wire")
    measured: dict[str, list] = {name: [] for name in names}
    database = Database(db)
    for trigger, indicator, year in switch_plan(db, switches):
        response, map_ms, table, table_ms = _switch(client, map_key, table_key, trigger, indicator, year)
        measured["latencies"].append(map_ms)
        measured["with_table"].append(map_ms + table_ms)
        measured["map_sizes"].append(len(response.data))
        measured["sizes"].append(len(response.data) + len(table.data))
        measured["wire"].append(wire_bytes(response.data) + wire_bytes(table.data))
        rows, query_ms = timed(lambda indicator=indicator, year=year: database.run(
            queries.map_values, indicator, "commune", year))  # fmt: skip
        measured["floor_ms"].append(query_ms)
        measured["floor_bytes"].append(len(json.dumps([None if v != v else v for v in rows["value"].tolist()])))
    return measured


def _switch(client, map_key: str, table_key: str, trigger: str, indicator: str, year: int):
    """One switch: the map's callback, then the table's with the view it returned (responses and ms)."""
    values = {
        "indicateur": indicator,
        "niveau": "commune",
        "annee": year,
        "classes": "quantiles",
        "couleur": "valeur",
    }
    response, map_ms = timed(
        lambda: post(
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
    table, table_ms = timed(
        lambda: post(
            client,
            table_key,
            [
                *props({"map-view.data": view}),
                [{"id": {"type": "sort", "col": c}, "property": "n_clicks", "value": None} for c in SORT_COLUMNS],
                *props({"table-prev.n_clicks": None, "table-next.n_clicks": None}),
            ],
            props({"table-state.data": {"sort": "rank", "desc": False, "page": 0}, "lang.data": "fr"}),
            "map-view.data",
        )
    )
    assert table.status_code == 200, table.data[:300]
    return response, map_ms, table, table_ms


def _level_switch(client, map_key: str):
    """The level switch to the EPCI, and its ms."""
    level, level_ms = timed(
        lambda: post(
            client,
            map_key,
            props({"indicateur.value": "population", "niveau.value": "epci", "annee.value": 2023,
                   "classes.value": "quantiles", "couleur.value": "valeur"}),
            props({"map-level.data": "commune", "lang.data": "fr"}),
            "niveau.value",
        )
    )  # fmt: skip
    assert level.status_code == 200, level.data[:300]
    return level, level_ms


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
    key = key_of(app, "map.figure")
    latencies, sizes = [], []
    for _trigger, indicator, year in [("indicator", "population", 2023), *switch_plan(db, switches)]:
        started = time.perf_counter()
        response = post(
            client,
            key,
            props({"indicator.value": indicator, "year.value": year}),
            [],
            "year.value",
        )
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.data[:300]
        sizes.append(len(response.data))
    return {"first_bytes": sizes[0], **_stats(latencies[1:], sizes[1:])}


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


def print_map_comparison(patch: dict, naive: dict, switches: int) -> None:
    """The app's path beside the naive one, at Gironde size."""
    print(f"Gironde commune map, {switches} switches of indicator or year (server side, Flask test client):")
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
