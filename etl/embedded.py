"""The data shipped with itdd, read like downloads: the snapshot and the extract.

- `data/snapshot/`: files built from registry packages (populations, outlines, the
  commune list of the territory), declared as `snapshot:` sources;
- `data/extract/`: the rows of producers' files for one territory, in their own formats,
  listed by official URL in `manifest.json` (`scripts/build_extract.py`). `itdd build
  --offline` reads a downloaded source from here, through the same adapters as a download.

Each covers one territory (`provenance.json` and `manifest.json` say which) and serves the
builds of that territory only: a build of another one never reads them.
"""

from __future__ import annotations

import functools
import hashlib
import json

from etl.catalogue_sources import Source
from etl.extract import Download, DownloadError
from etl.paths import snapshot_file

EXTRACT_DIR = "extract"
MANIFEST = "manifest.json"


@functools.cache
def _extract_manifest() -> dict:
    path = snapshot_file(f"{EXTRACT_DIR}/{MANIFEST}")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"files": []}


@functools.cache
def _snapshot_provenance() -> dict:
    return json.loads(snapshot_file("snapshot/provenance.json").read_text(encoding="utf-8"))


def snapshot_territory() -> str:
    """The territory (as `--territory` spells it) the snapshot covers: it serves no other."""
    return _snapshot_provenance()["territory"]


def extract_territory() -> str | None:
    """The territory the extract covers: it serves no other."""
    return _extract_manifest().get("territory")


def extract_download(source: Source, url: str) -> Download | None:
    """The embedded copy of the file of `source` published at `url`, or None if none is shipped."""
    manifest = _extract_manifest()
    entry = next((f for f in manifest["files"] if f["url"] == url), None)
    if entry is None:
        return None
    path = snapshot_file(f"{EXTRACT_DIR}/{entry['file']}")
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
        raise DownloadError(
            source.id, url, f"the embedded copy data/{EXTRACT_DIR}/{entry['file']} differs from its manifest"
        )
    return Download(source.id, url, path, entry["sha256"], entry["bytes"], manifest["extracted"], from_cache=False)


def snapshot_download(source: Source) -> Download:
    """An embedded snapshot file, described like a download: the packages it was built from, their date."""
    meta = _snapshot_provenance()
    path = snapshot_file(source.snapshot)
    data = path.read_bytes()
    origin = f"data/{source.snapshot} (built from {meta['built_from']})"
    return Download(source.id, origin, path, hashlib.sha256(data).hexdigest(), len(data), meta["snapshot_date"], False)
