"""Serving: one version of the database per request while rebuilds swap the file in, the
security headers, and `itdd serve` with gunicorn and with the development server.

The live tests run a server on 127.0.0.1 (port 0) and stop by themselves (bounded in
requests and time).
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import requests
from test_browser import serve_dashboard
from test_dashboard_queries import make_synthetic_db

from dashboard.app import create_app
from dashboard.context import CONFIG_KEY, db
from dashboard.database import Database
from dashboard.hardening import SECURITY_HEADERS, callback_key, callback_request

VALUE_2023 = "SELECT value FROM indicator_values WHERE indicator_id = 'synth_pop' AND code = 'SYN01' AND year = 2023"


def _value(database: Database) -> float:
    return database.run(lambda con: con.execute(VALUE_2023).fetchone()[0])


def test_a_pinned_version_outlives_a_swap_and_closes_with_its_last_user(tmp_path: Path) -> None:
    path = make_synthetic_db(tmp_path / "itdd.duckdb")
    database = Database(path)
    before = database.pinned()
    assert _value(before) == 1234567.8
    os.replace(make_synthetic_db(tmp_path / "rebuilt.duckdb", synth_pop_2023=42.0), path)  # as `itdd build` does
    after = database.pinned()
    assert _value(after) == 42.0 and _value(database) == 42.0
    # The request that started before the swap still reads its own version: nothing closed under it.
    assert _value(before) == 1234567.8 and database.open_versions() == 2
    before.release()
    assert database.open_versions() == 1  # the replaced version is closed once its last user is done
    after.release()
    assert database.open_versions() == 1 and _value(database) == 42.0  # the current one stays open


def test_each_request_reads_one_version(tmp_path: Path) -> None:
    path = make_synthetic_db(tmp_path / "itdd.duckdb")
    app = create_app(path)
    with app.server.test_request_context():
        first = db()
        assert db() is first and _value(db()) == 1234567.8
        os.replace(make_synthetic_db(tmp_path / "rebuilt.duckdb", synth_pop_2023=42.0), path)
        assert _value(db()) == 1234567.8  # the same request: the same file to the end
    with app.server.test_request_context():
        assert _value(db()) == 42.0  # the next request: the new file
    assert app.server.config[CONFIG_KEY].open_versions() == 1


def _versions(offline_db: Path, folder: Path, count: int) -> list[Path]:
    """Copies of the build, each with Bordeaux renamed "Bordeaux vN", as successive rebuilds."""
    copies = []
    for n in range(1, count + 1):
        copy = folder / f"build{n}.duckdb"
        shutil.copyfile(offline_db, copy)
        with duckdb.connect(str(copy)) as rw:
            rw.execute("UPDATE territories SET name = ? WHERE level = 'commune' AND code = '33063'", [f"Bordeaux v{n}"])
        copies.append(copy)
    return copies


def _mixed_requests(app) -> list[tuple[str, str, dict | None]]:
    """A portrait, a map page, a map switch, a table sort, a search and a CSV: (method, path, json body)."""
    callbacks = app.callback_map
    router = callback_key(callbacks, "_pages_content.children")
    switch = callback_key(callbacks, "map.figure")
    table = callback_key(callbacks, "map-table-body.children")
    view = {"indicator": "population", "level": "commune", "year": 2022, "classes": "quantiles", "colour": "valeur"}
    sort = {"col": "value", "type": "sort"}
    controls = {"indicateur.value": "densite_population", "niveau.value": "commune", "annee.value": 2021}
    return [
        ("POST", "/_dash-update-component", callback_request(
            callbacks, router, {"_pages_location.pathname": "/territoire/commune/33063", "_pages_location.search": ""})),
        ("POST", "/_dash-update-component", callback_request(
            callbacks, router, {"_pages_location.pathname": "/carte", "_pages_location.search": "?niveau=epci"})),
        ("POST", "/_dash-update-component", callback_request(
            callbacks, switch, {**controls, "classes.value": "quantiles", "couleur.value": "valeur",
                                "map-level.data": "commune", "lang.data": "fr"}, "annee.value")),
        ("POST", "/_dash-update-component", callback_request(
            callbacks, table, {"map-view.data": view, '{"col":["ALL"],"type":"sort"}.n_clicks': [{"id": sort, "value": 1}],
                               "table-state.data": {"sort": "rank", "desc": False, "page": 0}, "lang.data": "fr"},
            '{"col":"value","type":"sort"}.n_clicks')),
        ("POST", "/_dash-update-component", callback_request(
            callbacks, callback_key(callbacks, "territory-results.children"),
            {"territory-search.value": "bord", "lang.data": "fr"})),
        ("GET", "/telecharger/population.csv?niveau=epci", None),
    ]  # fmt: skip


def test_rebuilds_while_serving_fail_no_request(offline_db: Path, tmp_path: Path) -> None:
    """Six rebuilds swapped in during a loop of 240 requests from 6 clients: every request answers 200."""
    path = tmp_path / "itdd.duckdb"
    shutil.copyfile(offline_db, path)
    builds = _versions(offline_db, tmp_path, 6)
    app = create_app(path)
    app.server.test_client().get("/")  # Dash registers its page router on the first request
    mix = _mixed_requests(app)
    total, swap_every, deadline = 240, 35, time.monotonic() + 90
    done, statuses, errors = [0], [], []
    lock = threading.Lock()

    def client(base: str, worker: int) -> None:
        with requests.Session() as session:
            n = worker
            while time.monotonic() < deadline:
                with lock:
                    if done[0] >= total:
                        return
                    done[0] += 1
                method, url, body = mix[n % len(mix)]
                n += 1
                try:
                    response = session.request(method, base + url, json=body, timeout=30)
                    statuses.append(response.status_code)
                except requests.RequestException as e:
                    errors.append(repr(e))

    def swapper() -> None:
        for n, build in enumerate(builds, start=1):
            while done[0] < n * swap_every and time.monotonic() < deadline:
                time.sleep(0.01)
            os.replace(build, path)  # the atomic swap of `itdd build`

    with contextmanager(serve_dashboard)(path, app) as base:
        swapping = threading.Thread(target=swapper)
        swapping.start()
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda worker: client(base, worker), range(6)))
        swapping.join()
        last = requests.post(base + "/_dash-update-component", json=mix[0][2], timeout=30)
    assert not errors, errors[:3]
    assert len(statuses) == total and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert not any(b.exists() for b in builds), "not every rebuild was swapped in during the loop"
    assert "Bordeaux v6" in last.text  # the last rebuild is served
    assert app.server.config[CONFIG_KEY].open_versions() == 1  # the replaced versions were closed


def test_security_headers_on_every_response(offline_db: Path) -> None:
    client = create_app(offline_db).server.test_client()
    for response in (
        client.get("/"),
        client.get("/nulle-part"),
        client.get("/_dash-layout"),
        client.get("/assets/style.css"),
        client.get("/telecharger/population.csv?niveau=departement"),
        client.post("/_dash-update-component", json=None),
    ):
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (response.request.path, header)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(args: list[str], port: int, timeout: float = 60, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """`itdd serve ARGS` on 127.0.0.1:`port`, once it answers."""
    child = subprocess.Popen(
        [sys.executable, "-m", "itdd.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"itdd serve exited: {child.stderr.read().decode()[-2000:]}")
        try:
            requests.get(f"http://127.0.0.1:{port}/_dash-layout", timeout=5)
            return child
        except requests.ConnectionError:
            time.sleep(0.2)
    _stop(child)
    raise AssertionError("itdd serve did not answer in time")


def _stop(child: subprocess.Popen) -> int:
    os.killpg(child.pid, signal.SIGTERM)
    try:
        return child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        return child.wait()


@pytest.mark.parametrize("mode", [["--workers", "2", "--threads", "2"], ["--dev"]], ids=["gunicorn", "dev"])
def test_itdd_serve_answers_with_headers_and_no_server_version(offline_db: Path, mode: list[str]) -> None:
    port = _free_port()
    child = _serve(["--db", str(offline_db), *mode], port, stdout=subprocess.PIPE)
    try:
        page = requests.get(f"http://127.0.0.1:{port}/carte", timeout=30)
        missing = requests.get(f"http://127.0.0.1:{port}/nulle-part", timeout=30)
        csv = requests.get(f"http://127.0.0.1:{port}/telecharger/population.csv?niveau=departement", timeout=30)
    finally:
        _stop(child)
    # Clean logs (issue #16): no raw colour codes in a pipe, one banner, not Dash's or Flask's as well.
    logs = child.stdout.read().decode() + child.stderr.read().decode()
    assert "\x1b[" not in logs, logs
    assert logs.count(f"serving {offline_db} on http://127.0.0.1:{port}/") == 1, logs
    assert "Dash is running" not in logs and "Serving Flask app" not in logs, logs
    assert page.status_code == 200 and "_dash-renderer" in page.text
    assert missing.status_code == 404 and csv.status_code == 200
    server = page.headers.get("Server", "")
    assert server in ("gunicorn", "Werkzeug"), server  # the name at most, never a version
    assert (server == "gunicorn") == (mode[0] == "--workers")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]


def _switch_body(app) -> dict:
    values = {"indicateur.value": "population", "niveau.value": "commune", "annee.value": 2021,
              "classes.value": "quantiles", "couleur.value": "valeur", "map-level.data": "commune", "lang.data": "fr"}  # fmt: skip
    return callback_request(app.callback_map, callback_key(app.callback_map, "map.figure"), values, "annee.value")


@pytest.mark.parametrize("cache", [True, False])
def test_answers_are_kept_per_version_of_the_file(offline_db: Path, tmp_path: Path, monkeypatch, cache: bool) -> None:
    from dashboard.pages import carte

    path = tmp_path / "itdd.duckdb"
    shutil.copyfile(offline_db, path)
    app = create_app(path, cache=cache)
    client = app.server.test_client()
    calls = []
    switch = carte.switch
    monkeypatch.setattr(carte, "switch", lambda *args: calls.append(args) or switch(*args))
    first = client.post("/_dash-update-component", json=_switch_body(app))
    again = client.post("/_dash-update-component", json=_switch_body(app))
    assert first.status_code == again.status_code == 200 and first.data == again.data
    assert len(calls) == (1 if cache else 2)
    csv = "/telecharger/population.csv?niveau=commune&annee=2023"
    assert "Bordeaux," in client.get(csv).text
    (rebuilt,) = _versions(offline_db, tmp_path, 1)
    os.replace(rebuilt, path)  # a new version: nothing kept from the previous one is served
    assert "Bordeaux v1," in client.get(csv).text
    client.post("/_dash-update-component", json=_switch_body(app))
    assert len(calls) == (2 if cache else 3)
    assert client.get("/telecharger/population.csv?annee=1789").status_code == 404  # errors are never kept
    assert again.headers["X-Content-Type-Options"] == "nosniff"  # headers on answers from the cache too


def test_small_query_results_are_kept_per_version_as_copies(tmp_path: Path) -> None:
    from dashboard import queries

    path = make_synthetic_db(tmp_path / "itdd.duckdb")
    database = Database(path)
    pinned = database.pinned()
    first = pinned.run(queries.list_territories)
    first["name"] = "changed by a caller"
    assert pinned.run(queries.list_territories)["name"].tolist()[0] == "Synthville 1"  # each caller its own copy
    with duckdb.connect(str(make_synthetic_db(tmp_path / "rebuilt.duckdb"))) as rw:
        rw.execute("UPDATE territories SET name = 'Renamed' WHERE code = 'SYN01'")
    os.replace(tmp_path / "rebuilt.duckdb", path)
    assert pinned.run(queries.territory_name, "commune", "SYN01") == "Synthville 1"  # the request's version
    pinned.release()
    fresh = database.pinned()
    assert fresh.run(queries.territory_name, "commune", "SYN01") == "Renamed"  # a new version: nothing kept
    for n in range(400):  # arguments from requests: the kept results stay bounded
        fresh.run(queries.territory_name, "commune", f"X{n}")
    assert len(fresh._pin.results.found) == fresh._pin.results.size
    fresh.release()


def test_the_served_database_keeps_duckdb_small_and_publish_does_not(tmp_path: Path) -> None:
    from dashboard.database import SERVING_MEMORY_LIMIT, Database

    path = tmp_path / "itdd.duckdb"
    make_synthetic_db(path)

    def limit(database) -> str:
        with database.connect() as con:
            return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    with duckdb.connect(":memory:", config={"memory_limit": SERVING_MEMORY_LIMIT}) as con:
        expected = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit(create_app(path).server.config[CONFIG_KEY]) == expected  # each worker's buffers
    assert limit(Database(path)) != expected  # DuckDB's default, for `itdd publish`'s batches


def test_a_worker_reads_what_every_page_reads_before_its_first_request(offline_db: Path) -> None:
    from dashboard.serving import warm_up

    app = create_app(offline_db)
    database = app.server.config[CONFIG_KEY]
    assert database.open_versions() == 0  # created without reading the file (gunicorn forks it so)
    try:
        warm_up(app)
        assert gc.get_freeze_count() > 0  # what it holds, out of the collector's way
    finally:
        gc.unfreeze()
    assert database.open_versions() == 1  # opened, and still open for the first request
    pinned = database.pinned()
    kept = {name for name, _ in pinned._pin.results.found}
    assert {"catalogue", "indicator_gaps", "has_progress", "all_sources"} <= kept, kept
    pinned.release()


def test_a_warm_up_that_fails_is_left_for_the_requests_to_report(
    tmp_path: Path, offline_db: Path, caplog, monkeypatch
) -> None:
    from dashboard import serving

    path = tmp_path / "itdd.duckdb"
    path.write_bytes(b"not a DuckDB file" * 100)
    monkeypatch.setattr(serving.territoire, "layout", lambda **_: 1 / 0)  # a page that raises
    try:  # no exception: the worker starts, and its requests say what is wrong
        serving.warm_up(create_app(path))
        serving.warm_up(create_app(offline_db))
    finally:
        gc.unfreeze()
    assert "warm-up skipped: IOException" in caplog.text and "warm-up skipped: ZeroDivisionError" in caplog.text
