"""Extract: download producers' files with a cache, retries and provenance.

A mirror (`--mirror BASE`) replaces `https://HOST/PATH?QUERY` with the file
`BASE/HOST/PATH?QUERY`, its name written exactly as in the URL (query included), the
layout `wget --mirror` writes. BASE may be a folder
or an http(s) URL; both go through the same `requests` session, so tests exercise the
real download path.

A paginated JSON API (`records`: the key of each page's rows, `next_page`: the key of the
next page's URL, as in Data Fair's `lines` endpoint) is followed page by page, and its
rows are stored as one JSON-lines file, cached and hashed like any download.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_file import FileAdapter
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from urllib3.exceptions import MaxRetryError, NameResolutionError
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = (10, 60)  # connect, read
CHUNK = 1 << 16


class DownloadError(Exception):
    """A file that could not be had; `network` when the host could not be reached at all
    (no network, a name that does not resolve), where `--offline` or `--mirror` would help."""

    def __init__(self, source_id: str, url: str, reason: str, network: bool = False):
        self.source_id, self.url, self.reason, self.network = source_id, url, reason, network
        super().__init__(f"source '{source_id}': download of {url} failed: {reason}")


@dataclass(frozen=True)
class Download:
    source_id: str
    url: str
    path: Path
    sha256: str
    bytes: int
    fetched_at: str
    from_cache: bool
    # A new download waits beside the cache until it is validated (`Cache.keep`), so that a
    # bad file (an HTML page served with HTTP 200) never replaces the last good copy.
    pending: dict | None = None


def mirrored(url: str, mirror: str | None) -> str:
    """The address to fetch `url` from: the URL itself, or its copy under the mirror."""
    if not mirror:
        return url
    parts = urlsplit(url)
    tail = f"{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    if mirror.startswith(("http://", "https://", "file://")):
        return f"{mirror.rstrip('/')}/{quote(tail, safe='/')}"  # the name as written: '?', '%' escaped
    return Path(mirror).resolve().joinpath(tail).as_uri()


class RetryTransient(Retry):
    """urllib3's retries, but none for a name that does not resolve: without network, every
    attempt fails the same way, and a build of 30 sources would wait for each one."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, NameResolutionError):
            raise MaxRetryError(_pool, url, error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def session(retries: int = 3) -> requests.Session:
    s = requests.Session()
    retry = RetryTransient(total=retries, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504))
    s.mount("http://", HTTPAdapter(max_retries=retry))
    s.mount("https://", HTTPAdapter(max_retries=retry))
    s.mount("file://", FileAdapter())
    s.headers["User-Agent"] = "itdd (territorial sustainable-development indicators)"
    return s


class Cache:
    """Downloaded files keyed by URL: `<key>/<file name>` plus `<key>/meta.json`."""

    def __init__(self, root: Path):
        self.root = root

    def _dir(self, url: str) -> Path:
        return self.root / hashlib.sha256(url.encode()).hexdigest()[:24]

    def meta(self, url: str) -> dict | None:
        meta = self._dir(url) / "meta.json"
        if not meta.is_file():
            return None
        data = json.loads(meta.read_text())
        return data if (self._dir(url) / data["file"]).is_file() else None

    def path(self, url: str, meta: dict) -> Path:
        return self._dir(url) / meta["file"]

    def keep(self, download: Download) -> Download:
        """Make a validated pending download the cached copy of its URL."""
        if download.pending is None:
            return download
        folder, meta = self._dir(download.url), download.pending
        target = folder / meta["file"]
        os.replace(download.path, target)
        download.path.parent.rmdir()
        staged = folder / f".meta.{os.getpid()}.json"
        staged.write_text(json.dumps(meta, indent=1))
        os.replace(staged, folder / "meta.json")  # never a half-written meta.json
        return replace(download, path=target, pending=None)

    @staticmethod
    def discard(download: Download) -> None:
        if download.pending is not None:
            download.path.unlink(missing_ok=True)
            download.path.parent.rmdir()
            Cache.remove_if_empty(download.path.parent.parent)

    @staticmethod
    def remove_if_empty(folder: Path) -> None:
        with contextlib.suppress(OSError):  # not empty: a cached copy or another build's file
            folder.rmdir()

    def staging(self, url: str, suffix: str) -> Path:
        """A path of this process beside the cached copy (two builds never share one)."""
        folder = self._dir(url)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f".{suffix}.{os.getpid()}"


class TooLarge(Exception):
    pass


class _Sink:
    """The file being downloaded: written, hashed and counted, with a progress bar; stopped
    past `limit` bytes."""

    def __init__(self, out, bar: Progress, task, limit: int | None = None) -> None:
        self.out, self.bar, self.task, self.limit = out, bar, task, limit
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        if self.limit is not None and self.size + len(data) > self.limit:
            raise TooLarge(f"larger than {self.limit:,} bytes (the source's max_bytes)")
        self.out.write(data)
        self.digest.update(data)
        self.size += len(data)
        self.bar.update(self.task, advance=len(data))


def fetch(
    source_id: str,
    url: str,
    cache: Cache,
    http: requests.Session,
    mirror: str | None = None,
    records: str | None = None,
    next_page: str | None = None,
    max_bytes: int | None = None,
) -> Download:
    """Download `url` (or its mirror copy) into the cache and return what was stored.

    With `records`, `url` is the first page of a JSON API (see the module's docstring)."""
    address = mirrored(url, mirror)
    cached = cache.meta(url)
    headers = _conditional_headers(cached, address, records)
    tmp = cache.staging(url, "partial")
    try:
        try:
            with tmp.open("wb") as out, _progress() as bar:
                sink = _Sink(out, bar, bar.add_task(source_id, total=None), max_bytes)
                if records:
                    _write_pages(sink, url, http, mirror, records, next_page)
                    validators = {}  # a page's ETag says nothing of the whole
                else:
                    response = http.get(address, headers=headers, stream=True, timeout=TIMEOUT_SECONDS)
                    if response.status_code == 304 and cached:
                        log.info("%s: not modified since %s, using the cache", source_id, cached["fetched_at"])
                        return last_download(source_id, url, cache)
                    validators = _write_response(sink, bar, response)
        except requests.HTTPError as e:
            failed = e.response.url or address  # with pages, the page that failed
            raise DownloadError(source_id, failed, f"HTTP {e.response.status_code} {e.response.reason}") from None
        except requests.RequestException as e:
            raise DownloadError(source_id, address, _reason(e), network=_unreachable(e)) from None
        except PageError as e:
            raise DownloadError(source_id, e.address, e.reason) from None
        except TooLarge as e:
            raise DownloadError(source_id, address, str(e)) from None
        except OSError as e:  # file:// mirror: missing file, unreadable folder
            raise DownloadError(source_id, address, e.strerror or str(e)) from None
        if sink.size == 0:
            raise DownloadError(source_id, address, "the API returned no rows" if records else "empty response")
        return _pending(source_id, url, address, records, cache, tmp, sink, validators)
    finally:  # a failed download leaves nothing half-written (once pending, tmp is gone)
        tmp.unlink(missing_ok=True)
        Cache.remove_if_empty(tmp.parent)


def _conditional_headers(cached: dict | None, address: str, records: str | None) -> dict[str, str]:
    """Ask for the file only if it changed since the cached download from the same address
    (not for a JSON API's pages: a page's validators say nothing of the whole)."""
    headers = {}
    if cached and cached.get("address") == address and not records:
        if cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
    return headers


def _pending(
    source_id: str,
    url: str,
    address: str,
    records: str | None,
    cache: Cache,
    tmp: Path,
    sink: _Sink,
    validators: dict[str, str | None],
) -> Download:
    """The downloaded file moved from `tmp` to the cache's pending folder, with its metadata."""
    meta: dict[str, Any] = {
        "url": url,
        "address": address,
        "sha256": sink.digest.hexdigest(),
        "bytes": sink.size,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **validators,
    }
    name = (Path(urlsplit(url).path).name or "download") + (".jsonl" if records else "")
    pending = cache.staging(url, "pending") / name  # its own name, for messages
    pending.parent.mkdir(exist_ok=True)
    os.replace(tmp, pending)
    return Download(
        source_id, url, pending, meta["sha256"], sink.size, meta["fetched_at"], False, {**meta, "file": name}
    )


def _write_response(sink: _Sink, bar: Progress, response: requests.Response) -> dict[str, str | None]:
    """Stream a response's body into `sink`; its validators (ETag, Last-Modified) for next time."""
    response.raise_for_status()
    bar.update(sink.task, total=int(response.headers.get("Content-Length") or 0) or None)
    for chunk in response.iter_content(CHUNK):
        sink.write(chunk)
    return {"etag": response.headers.get("ETag"), "last_modified": response.headers.get("Last-Modified")}


class PageError(Exception):
    def __init__(self, address: str, reason: str):
        self.address, self.reason = address, reason


def _write_pages(
    sink: _Sink, url: str, http: requests.Session, mirror: str | None, records: str, next_page: str | None
) -> None:
    """Write the rows of every page as JSON lines, one row per line, keys sorted."""
    seen: set[str] = set()
    page_url: str | None = url
    while page_url:
        if page_url in seen:
            raise PageError(page_url, "the API's next page is one already read")
        seen.add(page_url)
        address = mirrored(page_url, mirror)
        response = http.get(address, timeout=TIMEOUT_SECONDS)
        if not response.ok:  # name the page as published, not its mirror address
            raise PageError(page_url, f"HTTP {response.status_code} {response.reason}")
        try:
            page = response.json()
        except ValueError:
            raise PageError(address, "the page is not JSON") from None
        rows = page.get(records) if isinstance(page, dict) else None
        if not isinstance(rows, list):
            raise PageError(address, f"the page has no list '{records}' of rows")
        for row in rows:
            sink.write((json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        page_url = page.get(next_page) if next_page and rows else None


def last_download(source_id: str, url: str, cache: Cache) -> Download | None:
    """The last successful download of `url`, if the cache has one."""
    meta = cache.meta(url)
    if meta is None:
        return None
    return Download(source_id, url, cache.path(url, meta), meta["sha256"], meta["bytes"], meta["fetched_at"], True)


def _unreachable(error: requests.RequestException) -> bool:
    """The host could not be reached at all: its name does not resolve, or no connection opens."""
    return isinstance(error, requests.ConnectionError) and not isinstance(error, requests.exceptions.SSLError)


def _reason(error: requests.RequestException) -> str:
    if _resolution_failed(error):
        host = urlsplit(str(error.request.url)).hostname if error.request is not None else None
        return f"cannot resolve {host or 'the host name'} (no network, or a wrong name)"
    if isinstance(error, requests.ConnectionError):
        return "cannot connect (no network, or the host is unreachable)"
    if isinstance(error, requests.Timeout):
        return f"timed out after {TIMEOUT_SECONDS[1]} s"
    return type(error).__name__


def _resolution_failed(error: BaseException) -> bool:
    """A name-resolution failure somewhere in the chain of causes (requests wraps urllib3's)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, NameResolutionError):
            return True
        nested = error.args[0] if error.args and isinstance(error.args[0], BaseException) else None
        error = getattr(error, "reason", None) or nested or error.__cause__ or error.__context__
    return False


def _progress() -> Progress:
    # A bar only on a terminal: elsewhere (a log, cron) each download would leave a blank line.
    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
