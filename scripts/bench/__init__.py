"""The parts of scripts/benchmark.py, one module per concern: builds, publish, the commune map,
the serving rows, `itdd serve` as a child process, simulated load, and the default run."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's code, not the installed one (a worktree measures its own)
