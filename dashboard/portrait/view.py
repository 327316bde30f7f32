"""What a portrait shows, read once from the database: the territory, its references, their
values, and the progress, positions and peer verdicts of its indicators."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from dashboard import assessment, progress_queries, queries
from dashboard.formatting import is_missing
from itdd.sql import named_rows

Points = dict[tuple[str, str], dict[int, tuple[float, str]]]  # (level, code) -> year -> (value, status)


@dataclass
class PagePoints:
    """What the tables of a portrait read of its values, by indicator, in one pass over them
    (plain Python: a portrait has 100s of rows and 30-odd indicators)."""

    points: dict[str, Points] = field(default_factory=dict)  # the territory's and its references'
    by_year: dict[str, dict[int, float]] = field(default_factory=dict)  # the territory's own, first value a year
    statuses: dict[str, set] = field(default_factory=dict)  # the statuses of the territory's own rows

    def own(self, indicator_id: str, territory: tuple[str, str]) -> list[tuple[int, tuple[float, str]]]:
        """The territory's own points by year."""
        return sorted(self.points.get(indicator_id, {}).get(territory, {}).items())


def page_points(values: pd.DataFrame) -> PagePoints:
    """`values` (with `is_self`) by indicator: see PagePoints."""
    found = PagePoints()
    columns = [values[k].tolist() for k in ("indicator_id", "level", "code", "year", "value", "status", "is_self")]
    for indicator_id, lv, c, y, v, s, me in zip(*columns, strict=True):
        missing = is_missing(v)
        if not missing:
            found.points.setdefault(indicator_id, {}).setdefault((lv, c), {})[int(y)] = (v, s)
        if me:
            found.statuses.setdefault(indicator_id, set()).add(s)
            if not missing:
                found.by_year.setdefault(indicator_id, {}).setdefault(int(y), v)
    return found


@dataclass(frozen=True)
class Portrait:
    level: str
    code: str
    name: str
    refs: pd.DataFrame  # the enclosing territories (queries.reference_territories)
    values: pd.DataFrame  # the territory's and its references' values, `is_self` marking its own
    catalogue: list  # the catalogue's rows (`Database.rows`: one list for every portrait)
    progress: dict | None  # indicator id -> row of indicator_progress (None: the build has none)
    labels: dict  # the progress categories' labels
    summary: pd.DataFrame  # per finality and category, how many indicators
    status: dict  # (indicator_id, year, reference level, reference code) -> position
    gaps: dict  # (indicator_id, level) -> why a level has no value
    peers: dict  # indicator id -> row of indicator_peer_comparison

    @cached_property
    def ref_rows(self) -> list:
        """The references' rows (named tuples), made once for both languages of a page."""
        return named_rows(self.refs)

    @cached_property
    def points(self) -> PagePoints:
        """Its values by indicator, read once for both languages of a page."""
        return page_points(self.values)


def read(database, level: str, code: str, name: str) -> Portrait:
    """The portrait of an existing territory (`name`: its name)."""
    refs = database.run(queries.reference_territories, level, code)
    values = database.run(queries.territory_values, [(level, code), *zip(refs["level"], refs["code"], strict=True)])
    values["is_self"] = (values["level"] == level) & (values["code"] == code)
    catalogue = database.rows(queries.catalogue)
    has_progress = database.run(queries.has_progress)
    progress_df = database.run(progress_queries.progress_rows, level, code)
    labels = assessment.labels_from(database.run(progress_queries.progress_labels))
    summary = database.run(progress_queries.progress_summary, level, code)
    status_df = database.run(progress_queries.positions, values, level, code)
    progress = {r.indicator_id: r for r in named_rows(progress_df)} if has_progress else None
    columns = ("indicator_id", "year", "reference_level", "reference_code", "position")
    status = {  # columns as lists: 1,000s of rows
        (indicator_id, int(year), ref_level, ref_code): position
        for indicator_id, year, ref_level, ref_code, position in zip(
            *(status_df[k].tolist() for k in columns), strict=True
        )
        if not is_missing(position)
    }
    gaps = database.derived(_gaps)  # one dict for every portrait of the static site: read, not copied
    peers = database.run(progress_queries.peer_comparisons, level, code)
    return Portrait(level, code, name, refs, values, catalogue, progress, labels, summary, status, gaps, peers)


def _gaps(database) -> dict:
    return database.run(queries.indicator_gaps)
