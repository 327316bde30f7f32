"""The files of a publication: written under a staged folder, each with its size and SHA-256,
the folder swapped in at the end (`itdd publish`, `etl/publish.py`)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from itdd.sql import literal, registered

MARKER = "datapackage.json"  # a folder holding it is a publication that may be replaced


class PublishError(Exception):
    """The output folder cannot be used, or the database cannot be published."""


@dataclass(frozen=True)
class Published:
    """One written file: its path relative to the publication, size and SHA-256."""

    path: str
    bytes: int
    sha256: str


class Writer:
    """Writes files under `root`, remembering each one's size and hash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Published] = {}

    def write(self, relative: str, data: bytes | str) -> Published:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        return self.record(relative)

    def record(self, relative: str) -> Published:
        """Remember a file written under `root` by someone else."""
        raw = (self.root / relative).read_bytes()
        self.files[relative] = Published(relative, len(raw), hashlib.sha256(raw).hexdigest())
        return self.files[relative]

    def write_json(self, relative: str, data: object, indent: int | None = 1) -> Published:
        separators = None if indent else (",", ":")
        return self.write(relative, json.dumps(data, ensure_ascii=False, indent=indent, separators=separators) + "\n")


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty folder beside `out`; on success it replaces `out`, on failure it is removed.

    `out` must be new, empty, or an earlier publication (it holds MARKER): publishing never
    deletes a folder it did not write."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise PublishError(f"{out} exists and is not an itdd publication (no {MARKER}): choose a new or empty folder")
    staging = out.with_name(f".{out.name}.publishing")
    previous = out.with_name(f".{out.name}.previous")
    for leftover in (staging, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        os.replace(out, previous)
    os.replace(staging, out)
    shutil.rmtree(previous, ignore_errors=True)


def write_parquet(con: duckdb.DuckDBPyConnection, writer: Writer, relative: str, rows: pd.DataFrame) -> Published:
    """`rows` as Parquet, written by DuckDB."""
    target = writer.root / relative
    with registered(con, "_tidy", rows.astype({"year": "Int32"})) as view:
        con.execute(f"COPY {view} TO {literal(str(target))} (FORMAT parquet, COMPRESSION zstd)")
    return writer.record(relative)
