"""The vocabulary the ETL and the dashboard share: territorial levels, table names and the
database schema. Each fact is written here once; `etl` writes the database by it and
`dashboard` reads the database by it, and neither imports the other."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """Territorial levels, from the commune up to France: the order of every listing."""

    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    france = "france"


LEVELS: tuple[str, ...] = tuple(level.value for level in Level)  # commune up to France
# Where a territory search lists each level's matches: a département before an EPCI before
# a commune of the same name ("Gironde" the département before the communes "Gironde-sur-Dropt").
SEARCH_ORDER: tuple[str, ...] = ("departement", "epci", "commune", "region", "france")
SEARCH_RANK: dict[str, int] = {level: rank for rank, level in enumerate(SEARCH_ORDER)}


def sql_level_list(levels: tuple[str, ...] = LEVELS) -> str:
    """The levels as a DuckDB list literal, for `list_position(…, level)` in an ORDER BY."""
    return "[" + ", ".join(f"'{level}'" for level in levels) + "]"
