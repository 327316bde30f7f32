"""`itdd serve` in a child process on 127.0.0.1, and its memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_memory_mib(pid: int) -> float:
    """Memory of a process and all its descendants (gunicorn's master and workers), in MiB: the sum
    of their proportional set sizes (a page shared by n processes counts 1/n in each)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total / 1024


class Server:
    """`itdd serve ARGS` on a free port of 127.0.0.1, in its own process group; stopped on exit.

    `tree`: another checkout whose own code serves (its folder comes first on the import path).
    """

    def __init__(self, db: Path, *args: str, tree: Path | None = None) -> None:
        self.db, self.args, self.port, self.tree = db, args, _free_port(), tree
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        import requests

        command = [sys.executable, "-m", "itdd.cli", "serve", "--db", str(self.db), "--host", "127.0.0.1"]
        env = {**os.environ, "PYTHONPATH": str(self.tree)} if self.tree else None
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *self.args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.tree,  # `python -m` looks in the working folder first
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"itdd serve {' '.join(self.args)} exited with {self.process.returncode}")
            try:
                requests.get(self.base + "/_dash-layout", timeout=5)
                return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"itdd serve {' '.join(self.args)} did not answer within 60 s")

    def __exit__(self, *_exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def memory_mib(self) -> float:
        return tree_memory_mib(self.process.pid)
