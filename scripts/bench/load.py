"""Load: simulated users against `itdd serve`, gunicorn and the development server."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.builds import run_measured
from bench.maps import SORT_COLUMNS
from bench.server import Server

MIX = {"map page": 15, "map switch": 40, "table sort": 15, "portrait": 20, "csv": 10}  # weights of user actions
THINK_SECONDS = (2.0, 5.0)
REQUEST_TIMEOUT = 30.0
LOAD_SEED = 15


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
