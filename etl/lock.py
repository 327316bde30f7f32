"""One build at a time per database file: a lock file beside it, naming its holder.

Two builds writing the same database would remove each other's staging file and swap in a
half-written one. The lock (`.<name>.lock`, an advisory `flock`) is held for the whole build;
a second build waits up to a timeout, then stops with the holder's PID. The kernel releases
the lock when its holder dies, so a killed build never leaves the file locked.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2


class BuildLocked(Exception):
    pass


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.lock")


@contextmanager
def build_lock(db_path: Path, timeout: float) -> Iterator[None]:
    """Hold the database's build lock, waiting at most `timeout` seconds for another build."""
    path = lock_path(db_path)
    with path.open("a+", encoding="ascii") as handle:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise BuildLocked(
                        f"another build (PID {holder}) is writing {db_path}; waited {timeout:g} s. "
                        "Try again when it ends, or build into another file with --db."
                    ) from None
                if not waiting:
                    log.info("waiting for the build of PID %s to finish (at most %g s)", holder, timeout)
                    waiting = True
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)  # released by close: no holder to name
