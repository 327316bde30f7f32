"""gzip for the answers that are large text: a national map's switch is about 0.7 MB of JSON
numbers, 0.2 MB once compressed; its outlines 5.5 MB, 0.45 MB.

Installed before the response cache (`dashboard.caching`), so that it runs after it: the cache
keeps plain bodies, and each answer is compressed for a client that accepts gzip, cached or not.
"""

from __future__ import annotations

import gzip

import dash
from flask import Response, request

COMPRESSED_TYPES = frozenset({"application/json", "application/geo+json", "text/html", "text/csv"})
MIN_BYTES = 1400  # below one packet, compressing saves nothing
LEVEL = 5  # level 9 saves 3 % more for four times the time


def compressed(body: bytes) -> bytes:
    """`body` as sent to a client that accepts gzip (mtime 0: the same bytes for the same body)."""
    return gzip.compress(body, compresslevel=LEVEL, mtime=0)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip ("gzip;q=0" refuses it)."""
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=")
            try:
                return not params.strip() or float(quality) > 0
            except ValueError:
                return False
    return False


def install_compression(app: dash.Dash) -> None:
    @app.server.after_request
    def _gzip(response: Response) -> Response:
        response.vary.add("Accept-Encoding")
        if (
            response.status_code != 200
            or response.direct_passthrough  # files streamed from disk (Dash's scripts)
            or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSED_TYPES
            or not accepts_gzip(request.headers.get("Accept-Encoding", ""))
        ):
            return response
        body = response.get_data()
        if len(body) < MIN_BYTES:
            return response
        response.set_data(compressed(body))
        response.headers["Content-Encoding"] = "gzip"
        etag, weak = response.get_etag()
        if etag and not weak:  # another representation of the same content
            response.set_etag(etag, weak=True)
        return response
