"""`write_site`: the static site written by rendering processes, one per core, from a process
that does not import Dash.

The rendering processes are forked from multiprocessing's fork server, which imports
`dashboard.static_site` (Dash, the app) once for all of them; spawned, each would import it
again. The calling process (`itdd publish`) only starts them, hands out the tasks and waits,
so that importing the app is not on its path as well (about 1 CPU s), and its other thread, the
open data, has a core meanwhile. A plain fork of the calling process would copy the state of its
DuckDB connections without their threads. Where there is no fork server (Windows), the
rendering processes are spawned.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path

SITE = "dashboard.static_site"  # what the rendering processes run, imported once by the fork server


def write_site(
    db_path: Path,
    root: Path,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    base_url: str | None = None,
) -> int:
    """Write every page and asset of the site under `root`; returns the number of pages.

    Pages are rendered by `workers` processes (default: one per core), each with its own
    connection and cache; a page depends only on the database, so the bytes do not depend on
    how many there are. `base_url`, the site's public address, makes the links of the 404 page
    absolute (`static_site.render_pages`)."""
    workers = max(1, workers or os.cpu_count() or 1)
    if workers == 1:
        return _render(map, _call("prepare", db_path, root), db_path, root, progress, base_url)
    forking = "forkserver" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if forking else "spawn")
    if forking:
        context.set_forkserver_preload([SITE])
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_call, initargs=("start_worker", db_path)
    ) as pool:
        tasks = pool.submit(_call, "prepare", db_path, root).result()
        return _render(pool.map, tasks, db_path, root, progress, base_url)


def _render(mapping: Callable, tasks: list[list[int]], db_path: Path, root: Path, progress, base_url) -> int:
    """Render the pages of each task (`mapping`: `map`, or a pool's, which keeps the order)."""
    total, done = sum(map(len, tasks)), 0
    for written in mapping(_call, repeat("render_pages"), repeat(db_path), repeat(root), tasks, repeat(base_url)):
        done += written
        if progress:
            progress(done, total)
    return total


def _call(name: str, *arguments):
    """`static_site.<name>(*arguments)`: what the rendering processes run, named so that the
    calling process sends it without importing the module."""
    return getattr(importlib.import_module(SITE), name)(*arguments)
