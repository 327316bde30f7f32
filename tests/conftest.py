"""Shared fixtures: a built database, a local HTTP server, the shared open-data mirror."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboard.i18n import using
from etl.build import build
from etl.catalogue_reader import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
SHARED_OPENDATA = ROOT.parent / "shared" / "opendata"
SHARED_ABSENT = "../shared/opendata is absent"  # the one skip a browser test may take in CI


def in_lang(lang: str, make, *args, **params):
    """`make(*args, **params)` with the locale of `lang` bound, as an entry point would."""
    with using(lang):
        return make(*args, **params)


def skip_fails(ci: bool, browser: bool, reason: str) -> bool:
    """In CI (`CI` set, as .ci/run does), a browser or accessibility test that skips is a
    failure: a missing Chromium or axe-core must not pass silently. The shared mirror of
    producers' files is the exception: a fresh machine has none (see README)."""
    return ci and browser and SHARED_ABSENT not in reason


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if skip_fails(bool(os.environ.get("CI")), item.get_closest_marker("browser") is not None, reason):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where browser and accessibility tests must run: {reason}"


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(ROOT / "indicators.yaml")


@pytest.fixture(scope="session")
def few_rows_catalogue(catalogue):
    """The shipped catalogue for hand-made files of a few communes (SYNTHETIC values): the
    coverage rule (a file must give 90 % of the territory's communes) is lifted, every other
    rule holds. tests/test_validation.py checks the coverage rule itself."""
    return catalogue.model_copy(
        update={"sources": [s.model_copy(update={"min_coverage": 0.0}) for s in catalogue.sources]}
    )


@pytest.fixture(scope="session")
def offline_db(tmp_path_factory, catalogue) -> Path:
    """The database built from the embedded snapshot, once per test session."""
    folder = tmp_path_factory.mktemp("offline")
    db = folder / "itdd.duckdb"
    build(catalogue, db, offline=True, cache_dir=folder / "cache")
    return db


@pytest.fixture
def query(offline_db):
    con = duckdb.connect(str(offline_db), read_only=True)
    yield lambda sql, *params: con.execute(sql, list(params)).fetchall()
    con.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


@pytest.fixture(scope="session")
def serve_folder() -> Iterator:
    """Start an HTTP server on 127.0.0.1 serving a folder; yields its base URL."""
    servers = []

    def start(folder: Path, handler: type = QuietHandler) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def shared_opendata() -> Path:
    if not (SHARED_OPENDATA / "MANIFEST.md").is_file():
        pytest.skip(SHARED_ABSENT)
    return SHARED_OPENDATA


@pytest.fixture(scope="session")
def published(tmp_path_factory, offline_db) -> Path:
    """`itdd publish` of the offline build, once per test session (about a minute)."""
    from typer.testing import CliRunner

    from itdd.cli import app

    out = tmp_path_factory.mktemp("publish") / "site"
    result = CliRunner().invoke(app, ["publish", "--db", str(offline_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out
