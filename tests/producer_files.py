"""Producers' files in their exact layouts, for territories made up in tests and benchmarks.

Each writer puts one file where `--mirror` looks for it (the official URL's host and path,
taken from the catalogue) in the layout the shipped declaration reads: data.gouv.fr's copy of
INSEE's COG (`communes.csv`) and legal populations (`donnees_communes.csv`), INSEE's EPCI
workbook (zipped xlsx, four title lines, labels, codes), INSEE's history of changes (every
field quoted), the comparateur (zipped CSV, CRLF) and geo.api.gouv.fr's outlines (GeoJSON,
`surface` in hectares). The values are whatever the caller gives: SYNTHETIC in every use
here, and named so.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from openpyxl import Workbook

from etl.catalogue import Catalogue
from etl.territory import national_lists

COG_HEADER = "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT"
POPULATION_HEADER = "REG;Région;DEP;CODARR;CODCAN;CODCOM;COM;Commune;PMUN;PCAP;PTOT"
HISTORY_HEADER = (
    "MOD,DATE_EFF,TYPECOM_AV,COM_AV,TNCC_AV,NCC_AV,NCCENR_AV,LIBELLE_AV,"
    "TYPECOM_AP,COM_AP,TNCC_AP,NCC_AP,NCCENR_AP,LIBELLE_AP"
)
EPCI_TITLE = [
    "Intercommunalité et Métropole",
    None,
    "Mise en ligne le 18/03/2024",
    "Source(s) : Insee, Code officiel géographique",
]


@dataclass
class Commune:
    """One commune of a made-up territory (every value SYNTHETIC)."""

    code: str
    name: str
    departement: str
    region: str
    epci: str | None  # its EPCI on 1 January 2024
    populations: dict[int, int] = field(default_factory=dict)  # legal population by year
    merged_into: str | None = None  # merged on 1 January 2025: absent from the 2025 code list
    square: tuple[float, float] = (0.0, 0.0)  # lower-left corner of its outline, 0.01° a side


def mirror_file(mirror: Path, url: str) -> Path:
    parts = urlsplit(url)
    target = mirror / (parts.netloc + parts.path + (f"?{parts.query}" if parts.query else ""))
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _url(catalogue: Catalogue, source_id: str, departement: str | None = None) -> str:
    source = catalogue.source(source_id)
    return source.download_urls([departement])[0] if departement else source.url


def write_cog_communes(mirror: Path, catalogue: Catalogue, communes: list[Commune], extra_rows: tuple = ()) -> None:
    """data.gouv.fr's copy of v_commune_2025: `,`, CRLF, no quotes; `extra_rows` as written."""
    rows = [
        f"COM,{c.code},{c.region},{c.departement},,,0,{c.name.upper()},{c.name},{c.name},,"
        if not c.merged_into
        else f"COMD,{c.code},,,,,0,{c.name.upper()},{c.name},{c.name},,{c.merged_into}"  # as INSEE lists them
        for c in communes
    ]
    text = "\r\n".join([COG_HEADER, *rows, *extra_rows]) + "\r\n"
    mirror_file(mirror, _url(catalogue, "insee_cog_communes")).write_text(text, encoding="utf-8")


def write_legal_populations(mirror: Path, catalogue: Catalogue, year: int, communes: list[Commune]) -> None:
    """data.gouv.fr's donnees_communes.csv of one edition: `;`, CRLF; communes with a population that year."""
    regions = dict(national_lists()[1][["code", "name"]].itertuples(index=False))
    rows = [  # arrondissement, canton, population counted apart and total: not known here, left empty
        f"{c.region};{regions[c.region]};{c.departement};;;{c.code[-3:]};{c.code};{c.name};{c.populations[year]};;"
        for c in communes
        if year in c.populations
    ]
    text = "\r\n".join([POPULATION_HEADER, *rows]) + "\r\n"
    url = _url(catalogue, f"insee_populations_legales_{year}")
    mirror_file(mirror, url).write_text(text, encoding="utf-8")


def write_legal_populations_xlsx(mirror: Path, catalogue: Catalogue, year: int, communes: list[Commune]) -> None:
    """INSEE's ensemble.xlsx: sheet Communes, seven title and source lines, the header on row 8,
    the commune code split into département and commune."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Communes"
    for line in ["Recensement de la population", f"Populations légales {year}", None, None, None, None, None]:
        sheet.append([line])
    sheet.append(
        ["Code région", "Nom de la région", "Code département", "Code arrondissement", "Code canton"]
        + ["Code commune", "Nom de la commune", "Population municipale", "Population comptée à part"]
        + ["Population totale"]
    )
    regions = dict(national_lists()[1][["code", "name"]].itertuples(index=False))
    for c in communes:
        if year in c.populations:
            local = c.code[len(c.departement) :]
            sheet.append([c.region, regions[c.region], c.departement, None, None, local, c.name, c.populations[year]])
    book.save(mirror_file(mirror, _url(catalogue, f"insee_populations_legales_{year}")))


def write_epci_composition(mirror: Path, catalogue: Catalogue, communes: list[Commune], names: dict[str, str]) -> None:
    """INSEE's EPCI workbook of 1 January 2024 in its zip: sheets EPCI and Composition_communale."""
    book = Workbook()
    epci_sheet = book.active
    epci_sheet.title = "EPCI"
    members = [c for c in communes if c.epci]
    for title in EPCI_TITLE:
        epci_sheet.append([title])
    epci_sheet.append(["EPCI - Métropole", "Libellé de l'EPCI / Métropole", "Nature d'EPCI", "Nombre communes"])
    epci_sheet.append(["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"])
    for code, name in names.items():
        epci_sheet.append([code, name, "CC", sum(c.epci == code for c in members)])
    composition = book.create_sheet("Composition_communale")
    for title in EPCI_TITLE:
        composition.append([title])
    composition.append(
        ["Code géographique", "Libellé géographique", "EPCI - Métropole", "Libellé de l'EPCI / Métropole"]
        + ["Département", "Région"]
    )
    composition.append(["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])
    for c in communes:
        composition.append(
            [c.code, c.name, c.epci or "ZZZZZZZZZ", names.get(c.epci, "Sans EPCI"), c.departement, c.region]
        )
    workbook = io.BytesIO()
    book.save(workbook)
    source = catalogue.source("insee_epci_2024")
    with zipfile.ZipFile(mirror_file(mirror, source.url), "w") as zf:
        zf.writestr(source.member, workbook.getvalue())


def write_commune_history(
    mirror: Path, catalogue: Catalogue, communes: list[Commune], earlier: list[tuple[str, str, str]] = ()
) -> None:
    """INSEE's v_mvt_commune_2025 (every field quoted, LF): the mergers of 1 January 2025, and
    `earlier` ones (old code, new code, date) as communes nouvelles (MOD 32); names the history
    gives only where the commune is known here."""
    names = {c.code: c.name for c in communes}
    events = [(c.code, c.merged_into, "2025-01-01") for c in communes if c.merged_into] + list(earlier)
    rows = []
    for old, new, date in events:
        old_name, new_name = names.get(old, ""), names.get(new, "")
        rows.append(
            ["32", date, "COM", old, "0", old_name.upper(), old_name, old_name]
            + ["COM", new, "0", new_name.upper(), new_name, new_name]
        )
    lines = [HISTORY_HEADER] + [",".join(f'"{v}"' for v in row) for row in rows]
    mirror_file(mirror, _url(catalogue, "insee_mouvements_communes")).write_text("\n".join(lines) + "\n")


def write_outlines(mirror: Path, catalogue: Catalogue, departement: str, communes: list[Commune]) -> None:
    """geo.api.gouv.fr's answer for one département: a square per commune, `surface` in hectares."""
    features = []
    for c in communes:
        if c.departement != departement or c.merged_into:
            continue
        x, y = c.square
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": c.code, "nom": c.name, "surface": 100},  # SYNTHETIC: 1 km² each
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    url = _url(catalogue, "geo_api_communes", departement)
    mirror_file(mirror, url).write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def write_comparateur(mirror: Path, catalogue: Catalogue, values: dict[str, dict[str, float]]) -> None:
    """The comparateur (census 2018 edition), zipped, `;`, CRLF: every column the catalogue
    reads; a column the caller gives no value for is 1."""
    source = catalogue.source("insee_comparateur")
    columns = sorted(source.columns() - {"CODGEO"})
    lines = [";".join(["CODGEO", *columns])]
    for code, given in values.items():
        lines.append(";".join([code, *(f"{given.get(col, 1):g}" for col in columns)]))
    with zipfile.ZipFile(mirror_file(mirror, source.url), "w") as zf:
        zf.writestr(source.member, "\r\n".join(lines) + "\r\n")


def write_mirror(
    mirror: Path, catalogue: Catalogue, communes: list[Commune], epci_names: dict[str, str], comparateur: dict
) -> Path:
    """Every file above for `communes`: referential, history, populations, outlines (a file per
    département) and the comparateur."""
    write_cog_communes(mirror, catalogue, communes)
    write_epci_composition(mirror, catalogue, communes, epci_names)
    write_commune_history(mirror, catalogue, communes)
    for year in (2021, 2022, 2023):
        write_legal_populations(mirror, catalogue, year, communes)
    for departement in sorted({c.departement for c in communes}):
        write_outlines(mirror, catalogue, departement, communes)
    write_comparateur(mirror, catalogue, comparateur)
    return mirror


def synthetic_communes(departements: list[tuple[str, str]], per_departement: int) -> tuple[list[Commune], dict]:
    """A made-up France (SYNTHETIC names and values) over real département codes
    [(département, région)]: `per_departement` communes each (99 at most overseas, whose codes
    have two digits), EPCI of about 25 communes, the last one of each département also taking
    the first commune of the next (straddling), and commune 002 of each merged into 001 in
    2025. Returns the communes and the EPCI names."""
    communes, names = [], {}
    for d, (departement, region) in enumerate(departements):
        count = min(per_departement, 99) if departement.startswith("97") else per_departement
        width = 5 - len(departement)
        for n in range(1, count + 1):
            code = f"{departement}{n:0{width}d}"
            epci = f"2{d:04d}{(n - 1) // 25:04d}"
            names.setdefault(epci, f"EPCI synthétique {epci}")
            population = 200 + (n * 7919 + d * 104729) % 5000
            merged = f"{departement}{1:0{width}d}" if n == 2 else None
            years = {2021: population, 2022: population + n % 7}
            if not merged:  # the 2023 legal populations are in the 2025 code list
                years[2023] = population + n % 11
            square = (-5 + (n % 60) * 0.012, 41 + d * 0.09 + (n // 60) * 0.012)
            communes.append(Commune(code, f"Synthétique {code}", departement, region, epci, years, merged, square))
    # Straddling: each département's first commune joins the previous département's last EPCI.
    by_departement = {}
    for c in communes:
        by_departement.setdefault(c.departement, []).append(c)
    ordered = [by_departement[d] for d, _ in departements]
    for previous, current in zip(ordered, ordered[1:], strict=False):
        current[0].epci = previous[-1].epci
    used = {c.epci for c in communes}
    return communes, {e: n for e, n in names.items() if e in used}
