"""Where the project's files live, whether installed editable or not."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The embedded data (`data/` in the repository, package `itdd_data` once installed)."""
    return Path(str(files("itdd_data")))


def snapshot_file(relative: str) -> Path:
    return data_dir() / relative


def default_catalogue() -> Path:
    """`indicators.yaml`: $ITDD_CATALOGUE, else the one in the current folder, else the shipped copy."""
    if os.environ.get("ITDD_CATALOGUE"):
        return Path(os.environ["ITDD_CATALOGUE"])
    local = Path("indicators.yaml")
    return local if local.is_file() else data_dir() / "indicators.yaml"


def default_db() -> Path:
    """The built database: $ITDD_DB, else a file in the user's data folder."""
    return Path(os.environ.get("ITDD_DB") or Path(platformdirs.user_data_dir("itdd")) / "itdd.duckdb")


def default_cache() -> Path:
    return Path(os.environ.get("ITDD_CACHE") or platformdirs.user_cache_dir("itdd"))


def default_policies() -> Path | None:
    """`policies.yaml` (the user's, none shipped): $ITDD_POLICIES, else the one in the current folder."""
    if os.environ.get("ITDD_POLICIES"):
        return Path(os.environ["ITDD_POLICIES"])
    local = Path("policies.yaml")
    return local if local.is_file() else None
