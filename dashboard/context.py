"""The database of the app serving the current request (set by `create_app`).

`db()` pins one version of the file for the whole request (or app context): every query of
a page or callback reads the same file, even if a rebuild swaps a new one in meanwhile.
`release_database` (a teardown hook) lets the version go.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from flask import current_app, g, has_request_context, request

from dashboard.database import Database
from dashboard.i18n import normalise_lang

CONFIG_KEY = "ITDD_DATABASE"
_PINNED = "itdd_database"


def db() -> Database:
    pinned = g.get(_PINNED)
    if pinned is None:
        pinned = current_app.config[CONFIG_KEY].pinned()
        setattr(g, _PINNED, pinned)
    return pinned


def release_database(_error: BaseException | None = None) -> None:
    pinned = g.pop(_PINNED, None)
    if pinned is not None:
        pinned.release()


def request_lang() -> str:
    """The language of the page being served: its `?lang=`, or that of the page a callback
    comes from (the router's `search` input); French otherwise."""
    if not has_request_context():
        return normalise_lang(None)
    lang = request.args.get("lang")
    body = request.get_json(silent=True) if lang is None and request.is_json else None
    for item in body.get("inputs", []) if isinstance(body, dict) and isinstance(body.get("inputs"), list) else []:
        if isinstance(item, dict) and item.get("property") == "search" and isinstance(item.get("value"), str):
            lang = parse_qs(item["value"].lstrip("?")).get("lang", [None])[0]
    return normalise_lang(lang)
