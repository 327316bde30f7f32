"""A response cache for callbacks and downloads (Flask-Caching, one SimpleCache per process).

The database is read-only between swaps, so an answer depends only on the version of the
file and on the request: its method, path, query and body. Keys carry the version, and the
cache is emptied when a request first sees a new one. Only 200 answers are kept; pages
(Dash's HTML, the same for every path) are cheap and not cached.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import dash
from flask import Response, g, request
from flask_caching import Cache

CACHED_RULES = ("_dash-update-component", "telecharger/<file_name>")  # under the routes prefix
MAX_ENTRIES = 300  # per process; the largest answers (a first map, about 350 kB) keep it near 100 MB
MAX_ENTRY_BYTES = 2_000_000
KEPT_HEADERS = ("Content-Type", "Content-Disposition")
_KEY = "itdd_cache_key"


def request_key(version: object, method: str, full_path: str, body: bytes) -> str:
    digest = hashlib.sha256(repr((version, method, full_path)).encode())
    digest.update(body)
    return digest.hexdigest()


def install_cache(app: dash.Dash, database_version: Callable[[], object]) -> Cache:
    """Serve repeated callbacks and downloads from memory; `database_version()` is the request's file version."""
    server = app.server
    cache = Cache(
        server,
        config={"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": MAX_ENTRIES, "CACHE_DEFAULT_TIMEOUT": 0},
    )
    rules = {app.config.routes_pathname_prefix + rule for rule in CACHED_RULES}
    seen = {"version": None}
    lock = threading.Lock()

    @server.before_request
    def _answer_from_cache():
        if request.url_rule is None or request.url_rule.rule not in rules:
            return None
        version = database_version()
        with lock:
            if version != seen["version"]:  # a new file: earlier answers can never be asked for again
                cache.clear()
                seen["version"] = version
        key = request_key(version, request.method, request.full_path, request.get_data(cache=True))
        kept = cache.get(key)
        if kept is not None:
            body, headers = kept
            return Response(body, status=200, headers=headers)
        setattr(g, _KEY, key)
        return None

    @server.after_request
    def _keep(response: Response) -> Response:
        key = g.pop(_KEY, None)
        if key and response.status_code == 200 and not response.direct_passthrough:
            body = response.get_data()
            if len(body) <= MAX_ENTRY_BYTES:
                cache.set(key, (body, [(h, response.headers[h]) for h in KEPT_HEADERS if h in response.headers]))
        return response

    return cache
