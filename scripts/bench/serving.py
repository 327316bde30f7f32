"""The serving rows of issue #14 at each size: the commune map, portraits, indicator pages and the
memory of `itdd serve`, side by side."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench.builds import NATIONAL_SIZE_DB, measure_national_scale, measure_territories, run_measured
from bench.load import REQUEST_TIMEOUT, Site
from bench.maps import key_of, measure_naive_path, measure_patch_path, post, props, switch_plan, timed, wire_bytes
from bench.server import Server

# --- Serving pages at each size: portraits, indicator sheets, the server's memory ------------------

PORTRAITS = 20  # territories whose portraits are timed after the first one
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
    response cache): the first portrait of a fresh app, without the warm-up `itdd serve` gives each
    worker (nothing read yet) and after it, the others (warm), the indicator sheets; the floor of a
    portrait: its values query alone (`queries.territory_values`)."""
    from dashboard import database, queries
    from dashboard.app import create_app
    from dashboard.serving import warm_up

    def fresh(warmed: bool):
        app = create_app(db, cache=False)
        if warmed:
            warm_up(app)
        client = app.server.test_client()
        client.get("/")
        router = key_of(app, "_pages_content.children")

        def page(path: str) -> tuple[bytes, float]:
            response, ms = timed(lambda: post(client, router, props({"_pages_location.pathname": path,
                                                                          "_pages_location.search": ""}), [],
                                                "_pages_location.pathname"))  # fmt: skip
            assert response.status_code == 200, (path, response.status_code)
            return response.data, ms

        return page

    portraits, sheets = serving_paths(db)
    _, unwarmed_ms = fresh(warmed=False)(portraits[0])
    page = fresh(warmed=True)
    cold_bytes, cold_ms = page(portraits[0])
    warm = [page(path) for path in portraits[1:]]
    sheet = [page(path) for path in sheets]
    database = database.Database(db)
    floor = [timed(lambda path=path: database.run(queries.territory_values, [tuple(path.split("/")[2:4])]))[1]
             for path in portraits[1:]]  # fmt: skip
    warm_ms = [ms for _, ms in warm]
    portrait_bodies = [cold_bytes, *(b for b, _ in warm)]
    return {
        "portrait_unwarmed_ms": unwarmed_ms,
        "portrait_cold_ms": cold_ms,
        "portrait_bytes": statistics.median(len(b) for b in portrait_bodies),
        "portrait_wire": statistics.median(wire_bytes(b) for b in portrait_bodies),
        "portrait_p50": statistics.median(warm_ms),
        "portrait_max": max(warm_ms),
        "portrait_floor_ms": statistics.median(floor),
        "sheet_bytes": max(len(b) for b, _ in sheet),
        "sheet_wire": max(wire_bytes(b) for b, _ in sheet),
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
        for _trigger, indicator, year in switch_plan(db, 10):
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
        ("portrait, a worker's first request", "portrait_cold_ms", "ms"),
        ("  without its warm-up", "portrait_unwarmed_ms", "ms"),
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
