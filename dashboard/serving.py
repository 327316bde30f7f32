"""Running the dashboard: gunicorn (several worker processes, each with threads) by default,
Flask's development server behind `--dev`. Neither sends its version in `Server`.
"""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import dash
from werkzeug.serving import WSGIRequestHandler, run_simple

from dashboard import queries
from dashboard.app import create_app
from dashboard.context import db
from dashboard.i18n import DEFAULT_LANG, using
from dashboard.pages import territoire

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
TIMEOUT = 60  # s: a worker silent for longer is restarted


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler, with `Server: Werkzeug` and no version numbers."""

    def version_string(self) -> str:
        return "Werkzeug"


def warm_up(app: dash.Dash) -> None:
    """Before a worker takes requests: the build territory's portrait made once, and dropped. The
    worker's first request would otherwise open the file and read the catalogue, the level-wide
    tables and the first blocks of the large ones (the first portrait of a national file took
    0.31 s, the next ones 0.2 s). It only saves time: whatever fails here (a file that cannot be
    read, a page that raises) is logged and left for the requests to report, and the worker starts.

    What the worker then holds (the app, its libraries, the kept results) is set aside from the
    garbage collector (`gc.freeze`): a full collection walked it all, 80 ms in one request out of
    ten at national size."""
    try:
        with app.server.app_context(), using(DEFAULT_LANG):
            territory = db().run(queries.build_territory)
            if territory is not None:
                territoire.layout(level=territory["level"], code=territory["code"])
    except Exception as e:  # it only saves time (see above)
        log.warning("warm-up skipped: %s: %s", type(e).__name__, e)
    gc.collect()
    gc.freeze()


def serve_development(db_path: Path, host: str, port: int, cache: bool = True) -> None:
    """Flask's development server (one process, a thread per request).

    Werkzeug's own, like gunicorn: Dash's and Flask's `run` would add two banners of their own."""
    log.info("serving %s on http://%s:%d/ (development server)", db_path, host, port)
    app = create_app(Path(db_path), cache=cache)
    warm_up(app)
    run_simple(host, port, app.server, threaded=True, request_handler=QuietRequestHandler)


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict:
    return {
        "bind": bind_address(host, port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": TIMEOUT,
        "graceful_timeout": 10,
        # Longer than a visitor's pause between two clicks: a browser reusing a connection the
        # server has just closed sees an error (the benchmark's think time is 2-5 s).
        "keepalive": 75,
        # The app is built once, before the workers fork (it reads no file until a request).
        "preload_app": True,
        "proc_name": "itdd",
        "errorlog": "-",
    }


def serve_gunicorn(db_path: Path, host: str, port: int, workers: int, threads: int, cache: bool = True) -> None:
    """gunicorn with `workers` processes of `threads` threads each; stops on SIGINT or SIGTERM."""
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def __init__(self) -> None:
            self.options = gunicorn_options(host, port, workers, threads)
            self.options["post_worker_init"] = lambda _worker: warm_up(app)  # after the fork: its own file handle
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn 24+: a socket in ~/.gunicorn, unused
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return app.server

    app = create_app(Path(db_path), cache=cache)

    log.info("serving %s on http://%s:%d/ (gunicorn, %d workers × %d threads)", db_path, host, port, workers, threads)
    Application().run()


def gunicorn_available() -> bool:
    try:
        import gunicorn.app.base  # noqa: F401 (Unix only: it needs fcntl)
    except ImportError:
        return False
    return True


def serve(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8050,
    workers: int = DEFAULT_WORKERS,
    threads: int = DEFAULT_THREADS,
    dev: bool = False,
    cache: bool = True,
) -> None:
    """Serve the dashboard over `db_path` (read-only) until interrupted; `cache`: see `dashboard.caching`."""
    if dev:
        serve_development(db_path, host, port, cache)
    elif not gunicorn_available():
        log.warning("gunicorn is not available on %s: serving with the development server", sys.platform)
        serve_development(db_path, host, port, cache)
    else:
        serve_gunicorn(db_path, host, port, workers, threads, cache)
