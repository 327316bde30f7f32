"""Rebuild the embedded extract in data/extract/ from the shared mirror of producers' files.

The extract holds, for each downloaded source of indicators.yaml that the mirror has, the
territory's rows of the producer's file (the mirror's: Gironde), in the producer's own format, so that
`itdd build --offline` runs the very adapters a download runs. Each file keeps its
producer's bytes line for line:

- a zip keeps only the members the catalogue reads (no `meta_*` dictionaries), with their
  names, line endings and lines as published; a member of the région level keeps the
  header and the territory's région, France métropolitaine's keeps its one row;
- any other file is copied as it is.

`data/extract/manifest.json` lists each file with its official URL, sha256, the
producer's national file it derives from (sha256 as the mirror's MANIFEST.md gives it)
and how it was derived.

Usage: python scripts/build_extract.py [--mirror ../shared/opendata]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from etl.catalogue import Level
from etl.catalogue_reader import load_catalogue
from etl.catalogue_sources import Source
from etl.embedded import EXTRACT_DIR, MANIFEST
from etl.paths import data_dir
from etl.territory import national_lists, parse_territory

log = logging.getLogger("build_extract")
ROOT = Path(__file__).resolve().parent.parent
ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # fixed member dates: the same inputs give the same bytes

# The producer's national file behind each mirror file (keyed by the last three parts of
# its URL), as ../shared/opendata/MANIFEST.md gives it (section, and sha256 of the national
# member, abbreviated there for some).
ORIGINS = {
    "fichier/8377162/v_mvt_commune_2025.csv": ("§13", "data.gouv.fr's copy 2475ef09…61c, INSEE's quoting re-applied"),
    "db0e5280feb8df10b5b84c7b5414e507a901bc15/sources/communes.csv": ("§14", "data.gouv.fr's copy of v_commune_2025 (national sha256 not given)"),
    "f50febe3321d04de6bc4cfd176aa4efed436165f/sources/donnees_communes.csv": ("§14", "data.gouv.fr's PL2023 (national sha256 not given)"),
    "3017ac94638d5d7069e7178ba7de6587737819d7/sources/donnees_communes.csv": ("§14", "data.gouv.fr's PL2022 (national sha256 not given)"),
    "8c08172e54be5e5abf3eb781fe5a645c08fe4329/sources/donnees_communes.csv": ("§14", "data.gouv.fr's PL2021 (national sha256 not given)"),
    "fichier/2510634/epci_au_01-01-2024.zip": ("§7", "EPCI_au_01-01-2024.xlsx 6919225cf46d926952560df82eb77d84696412334537325997e488885df45e25"),
    "fichier/6011070/ensemble.xlsx": ("§4", "58b23f613757728dd1f3c1cfd4b41848b867418014a8358eb4b25ec91c030b40"),
    "fichier/2521169/base_cc_comparateur_csv.zip": ("§1", "base_cc_comparateur.CSV 5d9ebf51eae366cfec4819516d7196a9b4a1be33b7d578d533cabdba562d7ad3"),
    "fichier/2521169/base-comparateur-2017_CSV.zip": ("§9", "base_cc_comparateur.CSV 643dcf3b4d19e5a5149b88d518bd8578ee69a456e1005c8102f648cf0ac7dbe8"),
    "fichier/5009236/base-cc-filosofi-2018_CSV_geo2021.zip": ("§10", "COM a35508d2…3eb08, EPCI d4a6806c…c2c5, DEP 72da04ae…b08; REG and METRO whole"),
    "fichier/6036902/base-cc-filosofi-2019_CSV.zip": ("§2 (replaced)", "zip 30c03621a161276dcb5f4362244f1b5af21f5ca99956cc1924c8d2c7c7014a1a; COM 2743b584…68e6, EPCI 142a172b…f535, DEP ffc36133…c8d2"),
    "fichier/6692392/base-cc-filosofi-2020_CSV.zip": ("§11", "cc_filosofi_2020_COM.csv 0696a30e392414f347570668fafcda5ca4d1ed3b024d8d93430d1d3f61819ab6"),
    "fichier/7756729/base-cc-filosofi-2021-geo2023-histo_CSV.zip": ("§12", "cc_filosofi_2021_COM.csv 145d3b90d0720e5e011fccdc05f72be500e4cca4dc077add14d28cfa77b86eef"),
    "conso-elec-gaz-annuelle-par-secteur-dactivite-agregee-departement/exports/csv": ("§15", "3ea7a14c5dc797cd4d18534d092b1c67995754b672f1957eb9eab231bb1783c8"),
    "production-electrique-par-filiere-a-la-maille-departement/exports/csv?delimiter=%2C": ("§16", "dd81a7ed6e7abb6306fcc49242c9e56bf88a84a6f44ffce9bc688a92efdb0f4d"),
}  # fmt: skip


def origin_key(url: str) -> str:
    parts = urlsplit(url)
    return "/".join(parts.path.split("/")[-3:]) + (f"?{parts.query}" if parts.query else "")


def mirror_path(mirror: Path, url: str) -> Path:
    parts = urlsplit(url)
    return mirror / (parts.netloc + parts.path + (f"?{parts.query}" if parts.query else ""))


def file_name(source: Source, url: str) -> str:
    """A plain file name in the extract: the source id and the URL's extension."""
    suffix = re.sub(r"[^a-z0-9.]", "", Path(urlsplit(url).path).suffix.lower()) or ".csv"
    return f"{source.id}{suffix}"


def kept_lines(data: bytes, level: Level | None, region: str) -> bytes:
    """A member's lines as published; a région file keeps its header and the territory's région."""
    if level != Level.region:
        return data
    lines = data.splitlines(keepends=True)
    return b"".join([lines[0], *(line for line in lines[1:] if line.split(b";")[0].strip() == region.encode())])


def trimmed_zip(source: Source, original: Path, target: Path, region: str) -> list[str]:
    """Write the members `source` reads into `target`; return their names."""
    wanted = {name.casefold(): member.level for name, member in source.members.items()}
    if source.member:
        wanted[source.member.casefold()] = None
    kept = []
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            if name.casefold() in wanted:
                info = zipfile.ZipInfo(name, ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, kept_lines(src.read(name), wanted[name.casefold()], region))
                kept.append(name)
    return kept


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "opendata")
    args = parser.parse_args()
    catalogue = load_catalogue(ROOT / "indicators.yaml")
    territory = parse_territory(catalogue.territory)
    departements, _ = national_lists()
    region = departements.loc[departements["code"] == territory.departements[0], "region"].iloc[0]
    folder = data_dir() / EXTRACT_DIR
    for old in folder.glob("*"):
        old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for source in catalogue.sources:
        if not source.url:
            continue
        urls = source.download_urls(territory.departements)
        url = urls[0]
        original = mirror_path(args.mirror, url)
        if len(urls) != 1 or not original.is_file():
            log.info("%s: not in the mirror", source.id)
            continue
        target = folder / file_name(source, url)
        if source.member or source.members:  # an xlsx is a zip too, but read whole
            derived = f"members kept: {', '.join(trimmed_zip(source, original, target, region))}"
        else:
            target.write_bytes(original.read_bytes())
            derived = "copied as it is"
        section, national = ORIGINS[origin_key(url)]
        files.append(
            {
                "source_id": source.id,
                "url": url,
                "file": target.name,
                "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
                "bytes": target.stat().st_size,
                "mirror_sha256": hashlib.sha256(original.read_bytes()).hexdigest(),
                "national": f"MANIFEST {section}: {national}",
                "derived": derived,
            }
        )
        log.info("%s: %s (%d bytes)", source.id, target.name, target.stat().st_size)
    manifest = {
        "extracted": date.today().isoformat(),
        "territory": territory.spelling,
        "from": f"../shared/opendata, real producer files restricted to the rows of {territory.label} (see its MANIFEST.md)",
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
