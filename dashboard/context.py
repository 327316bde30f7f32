"""The database of the app serving the current request (set by `create_app`)."""

from __future__ import annotations

from flask import current_app

from dashboard.queries import Database

CONFIG_KEY = "ITDD_DATABASE"


def db() -> Database:
    return current_app.config[CONFIG_KEY]
