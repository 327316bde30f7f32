"""The territory of a build: one département, one région, or France.

`--territory` takes a département code (`40`, `2A`, `971`), a région written `R` and its
code (`R75`), or `FR` (every commune of France). France is its 101 départements,
metropolitan and overseas, as INSEE counts it: never the overseas collectivities
(Polynésie française, Nouvelle-Calédonie…). The lists of départements and régions (codes,
names, the région of each département) are embedded: `data/snapshot/departements.csv` and
`regions.csv`, from INSEE's code list (see data/README.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

from etl.paths import snapshot_file

FRANCE = ("france", "FR", "France")
# INSEE publishes some figures for metropolitan France only (Filosofi's METRO file): a
# territory of its own, so that such a value is never shown as France's.
METROPOLITAN_FRANCE = ("france", "METRO", "France métropolitaine")
REGION_PREFIX = "R"  # `R75`: région codes are two digits, like many département codes
FRANCE_TNCC = 3  # "la France"


class TerritoryError(Exception):
    """`--territory` names no département, région or France."""


@dataclass(frozen=True)
class Territory:
    level: str  # departement | region | france
    code: str  # 40 | 75 | FR
    name: str
    departements: tuple[str, ...]  # the départements it covers
    tncc: int = 0  # INSEE's article type of the name: 3 "la Gironde", 4 "les Landes", 0 "Paris"

    @property
    def spelling(self) -> str:
        """As `--territory` takes it: `40`, `R75`, `FR`."""
        return REGION_PREFIX + self.code if self.level == "region" else self.code

    @property
    def label(self) -> str:
        """For messages: `département 40 (Landes)`."""
        kind = {"departement": "département", "region": "région"}.get(self.level)
        return f"{kind} {self.code} ({self.name})" if kind else self.name


@functools.cache
def national_lists() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(départements: code, name, region, tncc; régions: code, name, tncc) of France."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(snapshot_file(f"snapshot/{name}"), dtype=str, keep_default_na=False)

    return read("departements.csv"), read("regions.csv")


def parse_territory(text: str) -> Territory:
    """`40`, `2a`, `971`, `R75`, `r94`, `FR` -> the territory; TerritoryError otherwise."""
    departements, regions = national_lists()
    wanted = text.strip().upper()
    if wanted == "FR":
        return Territory(*FRANCE, tuple(departements["code"]), FRANCE_TNCC)
    if wanted.startswith(REGION_PREFIX) and wanted[1:] in set(regions["code"]):
        row = regions[regions["code"] == wanted[1:]].iloc[0]
        members = tuple(departements.loc[departements["region"] == row["code"], "code"])
        return Territory("region", row["code"], row["name"], members, int(row["tncc"]))
    if wanted in set(departements["code"]):
        row = departements[departements["code"] == wanted].iloc[0]
        return Territory("departement", wanted, row["name"], (wanted,), int(row["tncc"]))
    raise TerritoryError(
        f"unknown territory '{text}': give a département code (01 … 95, 2A, 2B, 971 … 976), a région as "
        f"{REGION_PREFIX} and its code ({', '.join(REGION_PREFIX + c for c in regions['code'])}), or FR for France"
    )
