"""The command line without network (issue #16): a name that does not resolve is not retried,
each failed source is one line, the summary says what to do; help without `<bool>`."""

from __future__ import annotations

import http.server
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from etl.build import BuildReport, SourceReport
from etl.catalogue_reader import load_catalogue
from etl.extract import Cache, DownloadError, fetch, session
from itdd.cli import NO_NETWORK_HINT, app, failure_summary

ROOT = Path(__file__).resolve().parent.parent
UNRESOLVABLE = "nonexistent.invalid"  # .invalid never resolves (RFC 2606)


@pytest.fixture
def resolutions(monkeypatch) -> list[str]:
    """Every host name the process asks to resolve, in order; the real resolver still answers."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        asked.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    return asked


@pytest.fixture
def no_network(monkeypatch) -> list[str]:
    """No name resolves, as on a machine without network; returns the names asked for."""
    asked: list[str] = []

    def unresolvable(host, *args, **kwargs):
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    return asked


def test_a_name_that_does_not_resolve_is_tried_once(resolutions, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as failed:
        fetch("x", f"http://{UNRESOLVABLE}/file.csv", Cache(tmp_path), session(retries=3))
    assert resolutions.count(UNRESOLVABLE) == 1  # 4 before: one try and three retries
    assert failed.value.network and f"cannot resolve {UNRESOLVABLE}" in failed.value.reason


class Unavailable(http.server.SimpleHTTPRequestHandler):
    """503 to every request, counted: a transient error worth retrying."""

    requests = 0

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).requests += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_transient_http_error_is_still_retried(serve_folder, tmp_path: Path) -> None:
    base = serve_folder(tmp_path, Unavailable)
    with pytest.raises(DownloadError) as failed:
        fetch("x", f"{base}/file.csv", Cache(tmp_path / "cache"), session(retries=2))
    assert Unavailable.requests == 3  # one try and two retries
    assert not failed.value.network


def test_summary_gives_one_line_per_failed_source_and_the_hint(catalogue) -> None:
    report = BuildReport(
        Path("x.duckdb"),
        sources=[
            SourceReport("insee_comparateur", "failed", "download of https://a/b failed: cannot resolve a", True),
            SourceReport("cerema_conso_naf", "failed", "download of https://c/d failed: HTTP 404 Not Found"),
            SourceReport("populations_legales", "embedded", "populations.csv"),
        ],
    )
    lines = failure_summary(report, catalogue)
    assert lines[0] == "[yellow]2 source(s) failed[/yellow]:"
    assert lines[1:3] == [
        "  insee_comparateur: download of https://a/b failed: cannot resolve a",
        "  cerema_conso_naf: download of https://c/d failed: HTTP 404 Not Found",
    ]
    assert lines[3] == "No values for surface_naf_consommee, consommation_espaces_naf."  # comparateur 2017 stands in
    assert NO_NETWORK_HINT in lines and lines[-1].startswith("Use --strict")
    # A failure that is not the network's (a 404, a broken file) gets no network hint.
    report.sources[0].network = False
    assert NO_NETWORK_HINT not in failure_summary(report, catalogue)
    report.sources = report.sources[2:]
    assert failure_summary(report, catalogue) == []


def test_a_build_without_network_fails_fast_with_one_line_per_source(no_network, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ITDD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "100")
    result = CliRunner().invoke(app, ["build", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 0, result.output  # Gironde's embedded referential stands in
    downloaded = [s for s in load_catalogue(ROOT / "indicators.yaml").sources if s.url]
    assert len(no_network) == len(downloaded)  # one try each: a source stops at its first failed file
    assert "Traceback" not in result.output and "Retrying" not in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("  ") and "failed: cannot resolve" in line]
    assert sorted(line.split(":")[0].strip() for line in failed) == sorted(s.id for s in downloaded)
    assert NO_NETWORK_HINT in result.output


@pytest.mark.parametrize("command", ["build", "serve", "publish", "sources", "check", "indicators"])
def test_help_shows_flags_without_bool(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output and "--help" in result.output
    assert "\x1b[" not in result.output
    if command == "build":
        assert "--offline " in result.output and "--strict " in result.output
        # Rich markup read "[default: …]" as a style and dropped it; plain help keeps it.
        assert "[default: $ITDD_DB or the user data folder]" in result.output
