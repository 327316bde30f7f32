"""The database of the app serving the current request (set by `create_app`).

`db()` pins one version of the file for the whole request (or app context): every query of
a page or callback reads the same file, even if a rebuild swaps a new one in meanwhile.
`release_database` (a teardown hook) lets the version go.
"""

from __future__ import annotations

from flask import current_app, g

from dashboard.queries import Database

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
