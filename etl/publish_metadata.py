"""What the published metadata says, read from the built database: the territory, the
indicators and their sources, licences, descriptions and years (`etl/publish.py`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from etl.publish_files import PublishError

LICENCES = {  # licence as written in indicators.yaml -> SPDX id, URL
    "Licence Ouverte / Etalab 2.0": ("etalab-2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
    "ODbL": ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}
PUBLISHED_LICENCE = "Licence Ouverte / Etalab 2.0"
TITLE = "Indicateurs territoriaux de développement durable"
DEFAULT_PUBLISHER = "itdd"  # without --publisher
LEVEL_NAMES = {"departement": "département", "region": "région", "france": "pays"}


@dataclass(frozen=True)
class Territory:
    """The territory a database was built for."""

    level: str
    code: str
    name: str

    @property
    def spatial(self) -> dict:
        """DCAT's spatial coverage: the territory, named, with its INSEE code."""
        return {
            "@type": "dct:Location",
            "skos:prefLabel": {"@value": self.name, "@language": "fr"},
            "dct:identifier": f"{LEVEL_NAMES.get(self.level, self.level)} {self.code} (code officiel géographique)",
        }


def build_territory(con: duckdb.DuckDBPyConnection) -> Territory:
    """`build_territory`, or for an older build its first département."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'build_territory'")
    sql = (
        "SELECT level, code, name FROM build_territory"
        if exists.fetchone()[0]
        else "SELECT level, code, name FROM territories WHERE level = 'departement' ORDER BY code LIMIT 1"
    )
    row = con.execute(sql).fetchone()
    if row is None:
        raise PublishError("the database names no territory: run `itdd build` first")
    return Territory(*row)


def catalogue_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Indicators with at least one value, in catalogue order, with their metadata parsed."""
    rows = con.execute(
        """
        SELECT * FROM indicators AS i
        WHERE EXISTS (SELECT 1 FROM indicator_values AS v
                      WHERE v.indicator_id = i.indicator_id AND v.value IS NOT NULL)
        ORDER BY i.finality, i.indicator_id
        """
    ).df()
    rows["meta"] = [json.loads(m) if isinstance(m, str) else {} for m in rows["metadata"]]
    return rows


def source_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Sources that went into the build, with their recorded download (date, hash, size)."""
    return con.execute(
        """
        SELECT s.source_id, s.producer, s.title, s.url, s.licence,
               p.url AS fetched_from, p.fetched_at, p.sha256, p.bytes
        FROM sources AS s JOIN provenance AS p USING (source_id)
        ORDER BY s.source_id
        """
    ).df()


def licence_of(name: str) -> dict:
    spdx, url = LICENCES.get(name, (None, None))
    return {k: v for k, v in {"name": spdx, "path": url, "title": name}.items() if v}


def sources_of(row, sources: pd.DataFrame) -> pd.DataFrame:
    """The indicator's sources, once each (a source fetched per département has several downloads)."""
    wanted = [s for s in str(row.sources or "").split(",") if s]
    return sources[sources["source_id"].isin(wanted)].drop_duplicates("source_id")


def description_of(row) -> str:
    parts = [text_of(row.definition_fr)]
    if text_of(row.limits_fr):
        parts.append(f"Limites : {text_of(row.limits_fr)}")
    return "\n\n".join(p for p in parts if p)


def years_of(rows: pd.DataFrame) -> list[int]:
    return sorted({int(y) for y in rows.dropna(subset=["value"])["year"]})


def text_of(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
