"""1,200 generated hostile requests against a live server on 127.0.0.1: no answer ≥ 500, none
left without an answer, the database file unchanged.

Seeded (the same requests every run) and bounded: a per-request timeout and an overall
deadline. Paths (traversal, encoded bytes, long segments), page and download query values
(newlines, non-Latin-1 text, huge numbers), callback bodies with every JSON type in every input
of every server callback, and malformed bodies (null, {}, deep nesting, cut JSON, bad UTF-8).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from test_browser import serve_dashboard

from dashboard.app import create_app
from dashboard.hardening import MAX_BODY_BYTES, callback_request

SEED = 15
COUNT = 1200
CLIENTS = 4
REQUEST_TIMEOUT = 20  # s: a request without an answer by then is a hang
DEADLINE = 150  # s for all of them (about 30 s on 2 cores)

TEXTS = [
    "", " ", "\n", "\r\n", "'", '"', "<script>alert(1)</script>", "../../etc/passwd", "..\\..\\win.ini", "%00", "\x00",
    "²", "9" * 5000, "-1", "1e309", "NaN", "中文", "💥", "ÿ", "=HYPERLINK(\"http://x\")", "{0}", "{lang}", "%s%s",
    "a" * 3000, "commune\nSet-Cookie: x=1", "commune", "epci", "departement", "population", "2023", "fr", "en",
]  # fmt: skip
SEGMENTS = ["..", "%2e%2e", "%2E%2e%2f", "%00", "%0d%0a", "%ff", "%c0%af", "~", "", ".", "a" * 2000, "%E4%B8%AD"]
PREFIXES = [
    "/", "/carte", "/methode", "/indicateur/", "/indicateur/population", "/territoire/commune/",
    "/territoire/commune/33063", "/telecharger/", "/telecharger/population.csv", "/_dash-component-suites/dash/",
    "/_dash-component-suites/", "/assets/", "/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/_favicon.ico",
    "/_dash-update-component", "/404",
]  # fmt: skip
QUERY_KEYS = ["indicateur", "niveau", "annee", "classes", "couleur", "lang", "territoires", "q", "level", "code",
              "indicator_id", "x"]  # fmt: skip
# Plausible values of each input, so that hostile values meet callbacks that otherwise run.
VIEW = {"indicator": "population", "level": "commune", "year": 2023, "classes": "quantiles", "colour": "valeur"}
PLAUSIBLE = {
    "indicateur.value": ["population", "densite_population", "taux_pauvrete"],
    "niveau.value": ["commune", "epci", "departement"],
    "annee.value": [2016, 2019, 2022.9, 2023],
    "classes.value": ["quantiles", "equal"],
    "couleur.value": ["valeur", "progres"],
    "map-level.data": ["commune", "epci"],
    "lang.data": ["fr", "en"],
    "map-view.data": [VIEW, {**VIEW, "level": "epci"}],
    "table-state.data": [{"sort": "rank", "desc": False, "page": 0}, {"sort": "name", "desc": True, "page": 3}],
    "table-prev.n_clicks": [None, 1],
    "table-next.n_clicks": [None, 2],
    "map.clickData": [{"points": [{"location": "33063"}]}],
    "territory-search.value": ["bord", "st med"],
    "indicator-search.value": ["chômage", "densité"],
    "sheet-territories.value": [["commune:33063"], ["epci:243300316", "commune:33281"]],
    "sheet-indicator.data": ["population", "taux_pauvrete"],
    "_pages_location.pathname": ["/", "/methode", "/indicateur/population", "/x"],
    "_pages_location.search": ["", "?lang=en", "?indicateur=population&annee=2019"],
}


def json_value(rng: random.Random, depth: int = 0) -> object:
    """Any JSON value: null, booleans, numbers (huge, negative, fractional, NaN), texts, lists, objects."""
    kind = rng.randrange(7 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2023, 10**30, -(10**400), 2**63])
    if kind == 3:
        return rng.choice([0.5, -0.0, 2022.9, 1e308, -1e-308, float("nan"), float("inf")])
    if kind == 4:
        return rng.choice(TEXTS)
    if kind == 5:
        return [json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "points", "level", "sort", "col", "page", "indicator"]): json_value(rng, depth + 1)
            for _ in range(rng.randrange(4))}  # fmt: skip


def _path(rng: random.Random) -> str:
    path = rng.choice(PREFIXES)
    for _ in range(rng.randrange(4)):
        path += ("" if path.endswith("/") else "/") + rng.choice(SEGMENTS + [quote(t, safe="") for t in TEXTS[:12]])
    return path


def _query(rng: random.Random) -> str:
    pairs = [(rng.choice(QUERY_KEYS), rng.choice(TEXTS)) for _ in range(rng.randrange(1, 4))]
    return urlencode(pairs, quote_via=quote)


def _callback_body(rng: random.Random, callbacks: dict) -> dict:
    """A body shaped like the renderer's for a random server callback, each value plausible or hostile."""
    key = rng.choice([k for k, spec in callbacks.items() if "callback" in spec])
    spec = callbacks[key]
    values = {}
    for declared in spec["inputs"] + spec["state"]:
        name = f"{declared['id']}.{declared['property']}"
        if declared["id"].startswith("{"):  # the sort buttons: a list of {"id": {...}, "value": ...}
            values[name] = [{"id": {"col": c, "type": "sort"}, "value": json_value(rng)}
                            for c in rng.sample(["name", "value", "rank", "change", "x"], rng.randrange(5))]  # fmt: skip
        elif name in PLAUSIBLE and rng.random() < 0.6:
            values[name] = rng.choice(PLAUSIBLE[name])
        else:
            values[name] = json_value(rng)
    first = spec["inputs"][rng.randrange(len(spec["inputs"]))]
    changed = f"{first['id']}.{first['property']}"
    if first["id"].startswith("{"):
        changed = json.dumps({"col": rng.choice(["name", "rank", "x"]), "type": "sort"}, separators=(",", ":"))
        changed += ".n_clicks"
    return callback_request(callbacks, key, values, changed)


def _malformed_body(rng: random.Random, callbacks: dict) -> bytes:
    valid = json.dumps(_callback_body(rng, callbacks)).encode()
    return rng.choice(
        [
            b"null", b"{}", b"[]", b'"x"', b"1", b"NaN", b"[" * 50_000 + b"]" * 50_000, b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
            valid[: len(valid) // 2], b"\xff\xfe\x00", valid.replace(b'"inputs"', b'"inputz"'),
            b'{"output": "print-button.title", "inputs": [], "state": []}', b'{"output": [], "outputs": {}}',
        ]
    )  # fmt: skip


def hostile_requests(callbacks: dict, count: int, seed: int = SEED) -> list[tuple[str, str, bytes | None, str]]:
    """(method, path and query, body, content type), seeded."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        kind = n % 20
        if kind < 5:
            made.append(("GET", _path(rng), None, ""))
        elif kind < 9:
            page = rng.choice(["/", "/carte", "/indicateur/population", "/territoire/commune/33063", "/methode",
                               "/telecharger/population.csv", "/telecharger/taux_pauvrete.csv"])  # fmt: skip
            made.append(("GET", f"{page}?{_query(rng)}", None, ""))
        elif kind < 17:
            body = json.dumps(_callback_body(rng, callbacks)).encode()
            made.append(("POST", "/_dash-update-component", body, "application/json"))
        elif kind < 19:
            made.append(("POST", "/_dash-update-component", _malformed_body(rng, callbacks), "application/json"))
        else:
            body = rng.choice([b" " * (MAX_BODY_BYTES + 1), b"{}", b"a=1&b=2"])
            content_type = rng.choice(["application/json", "text/plain", "application/x-www-form-urlencoded"])
            made.append(("POST", rng.choice(["/_dash-update-component", "/", "/telecharger/population.csv"]), body,
                         content_type))  # fmt: skip
    return made


def _send(base_port: int, request: tuple[str, str, bytes | None, str]) -> tuple[int | str, str]:
    method, path, body, content_type = request
    connection = http.client.HTTPConnection("127.0.0.1", base_port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, path
    except (OSError, http.client.HTTPException) as e:
        return f"{type(e).__name__}: {e}", path
    finally:
        connection.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def served(offline_db: Path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "itdd.duckdb"
    shutil.copyfile(offline_db, path)
    app = create_app(path)
    app.server.test_client().get("/")  # Dash registers its page router on the first request
    with contextmanager(serve_dashboard)(path, app) as base:
        yield app, path, int(base.rsplit(":", 1)[1])


def test_generated_hostile_requests_get_no_server_error(served) -> None:
    app, path, port = served
    before, files = _sha256(path), sorted(path.parent.iterdir())
    requests = hostile_requests(app.callback_map, COUNT)
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda r: _send(port, r), requests))
    elapsed = time.monotonic() - started
    statuses = Counter(status for status, _ in answers)
    failures = [(s, p[:120]) for s, p in answers if not isinstance(s, int) or s >= 500]
    assert not failures, (len(failures), failures[:10])
    assert elapsed < DEADLINE, f"{COUNT} requests took {elapsed:.0f} s"
    assert _sha256(path) == before and sorted(path.parent.iterdir()) == files
    # The generated mix reaches the callbacks and pages, not only the checks in front of them.
    callbacks = [s for (method, p, _b, t), (s, _) in zip(requests, answers, strict=True) if t == "application/json"]
    assert sum(s in (200, 204) for s in callbacks) > 0.25 * len(callbacks), statuses
    assert statuses[404] > 100 and statuses[400] > 100, statuses
    # Every body over the limit is refused unread (413), or its route takes no POST at all (405).
    too_large = [
        s for (_m, _p, body, _t), (s, _) in zip(requests, answers, strict=True) if len(body or b"") > MAX_BODY_BYTES
    ]
    assert too_large and set(too_large) <= {405, 413} and 413 in too_large, Counter(too_large)


def test_the_generator_covers_every_server_callback_and_json_type(served) -> None:
    app, _path_, _port = served
    made = hostile_requests(app.callback_map, COUNT)
    assert len(made) >= 1000
    outputs = {json.loads(b)["output"] for m, p, b, t in made if p == "/_dash-update-component" and _is_json_object(b)}
    server_callbacks = {k for k, spec in app.callback_map.items() if "callback" in spec}
    assert server_callbacks <= outputs
    values = [i.get("value") for m, p, b, t in made if _is_json_object(b) for i in json.loads(b).get("inputs", [])
              if isinstance(i, dict)]  # fmt: skip
    kinds = {type(v).__name__ for v in values}
    assert {"NoneType", "bool", "int", "float", "str", "list", "dict"} <= kinds, kinds


def _is_json_object(body: bytes | None) -> bool:
    try:
        found = json.loads(body or b"")
        return isinstance(found, dict) and isinstance(found.get("output"), str)
    except (ValueError, RecursionError):
        return False
