"""The catalogue's sources: what `indicators.yaml` may say of a producer's file (where it is,
how to read it, what its cells mean and what each variable is), each field validated."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from etl.catalogue_base import Strict
from itdd.model import NAME, Level


class Member(Strict):
    """A file inside a zip and the level of its rows; `code` replaces the file's own code
    where it is not ours (INSEE's METRO file codes France métropolitaine as "1")."""

    level: Level
    code: str | None = None


def _member_from_level(value: object) -> object:
    return {"level": value} if isinstance(value, str) else value


class Attribute(StrEnum):
    """What a referential source says of each commune (or EPCI) besides numbers: its name,
    département, région, EPCI and EPCI name (see `Catalogue.referential`)."""

    name = "name"
    departement = "departement"
    region = "region"
    epci = "epci"
    epci_name = "epci_name"


Status = Literal["missing", "secret"]
# `{departement}` in a URL: the file is fetched once per département of the build (an API
# filtered by département), and the files are read as one.
PER_DEPARTEMENT = "{departement}"
# Columns added to a raw table read from several members: each row's level and fixed code.
MEMBER_LEVEL, MEMBER_CODE = "_itdd_level", "_itdd_code"


class Verified(Strict):
    """The layout was checked on a real file: its sha256, and where that file is described."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    file: str


class Column(Strict):
    """A value read from a long file: one column (or several, added), on the rows that match
    `where`, summed."""

    column: str | list[str]
    where: dict[str, str | list[str]] = Field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [self.column] if isinstance(self.column, str) else self.column


class Source(Strict):
    """A producer's file: downloaded from `url`, or embedded in `data/` as `snapshot`."""

    id: str = Field(pattern=NAME.pattern)
    producer: str
    title: str
    title_en: str = Field(min_length=1)  # the title on English pages
    licence: str
    page: str | None = None  # the producer's page for people; never fetched
    # Downloaded over http(s) only: a local file is read through `--mirror`, never named here.
    url: str | None = Field(default=None, pattern=r"^https?://")
    snapshot: str | None = None  # a file under data/, named relative to it (see _consistent)
    format: Literal["csv", "xlsx", "geojson", "json"]
    # The producer's edition, as precisely as known ("2022-06-27", "2021"): where two sources of
    # one series give the same territory and year, the newer edition wins.
    edition: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    verified: Verified | None = None  # None: the layout was read from others' code, not a real file
    member: str | None = None  # the file inside a zip (matched ignoring case: INSEE changed it at one URL)
    # Several files inside a zip, each with its level: {cc_filosofi_2018_EPCI-geo2021.CSV: epci}.
    members: dict[str, Annotated[Member, BeforeValidator(_member_from_level)]] = Field(default_factory=dict)
    records: str | None = None  # json: the key of each page's list of rows
    next_page: str | None = None  # json: the key of the next page's URL (a paginated API)
    sheet: str | None = None  # xlsx
    header_row: int = Field(default=1, ge=1)  # xlsx: the row holding column names (1 = first)
    separator: str = ";"
    encoding: Literal["utf-8", "latin-1", "utf-16"] = "utf-8"
    key: str | list[str] = "CODGEO"  # several columns are joined: ["Code département", "Code commune"]
    level: Level = Level.commune  # the level of every row, unless `level_column`
    level_column: str | None = None
    # The level column's own codes, when they are not ours: {COM: commune, EPCI: epci};
    # rows of any other code (a region, a living area) are not read.
    level_values: dict[str, Level] = Field(default_factory=dict)
    year_column: str | None = None  # long files: the year of each row
    status_column: str | None = None
    blank: Status = "missing"  # what an empty cell means
    # What the producer's other non-numeric cells mean: {s: secret, nd: missing}. Any other
    # text is kept as missing, with a warning.
    markers: dict[str, Status] = Field(default_factory=dict)
    # What a commune absent from a year of the file means: `missing`, or `zero` for a
    # register that lists only the communes that have something (organic farms, say).
    absent: Literal["missing", "zero"] = "missing"
    # Years whose values lack a known part (an operator that published no rows that year),
    # with the reason: their values are flagged `incomplete`.
    incomplete_years: dict[int, str] = Field(default_factory=dict)
    code_list: int | None = None  # COG vintage of the codes; None = varies by row
    # Wide files: variable -> {COLUMN: year} (null year: does not change with time).
    # Long files (with year_column): variable -> {column: COLUMN, where: {COLUMN: value}}.
    variables: dict[str, Column | dict[str, int | None]]
    # Variables that cannot be summed (medians, rates): merged communes get no value.
    non_additive: list[str] = Field(default_factory=list)
    # The producer's unit to the variable's: {surface_km2: 0.01} for an area published in hectares.
    multiply: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    # A referential source (`Catalogue.referential`): the text column of each attribute,
    # {name: LIBELLE, departement: DEP, region: REG}, read at the source's level.
    attributes: dict[Attribute, str] = Field(default_factory=dict)
    # Validation (etl.validate): values are not negative but for `signed` variables, and lie
    # within `bounds` where declared; the file gives at least `min_coverage` of the territory's
    # communes; no download or zip member is larger than `max_bytes`.
    signed: list[str] = Field(default_factory=list)
    bounds: dict[str, tuple[float, float]] = Field(default_factory=dict)
    min_coverage: float = Field(default=0.9, ge=0, le=1)
    max_bytes: int = Field(default=1_000_000_000, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        bad = [v for v in self.variables if not NAME.fullmatch(v)]
        if bad:
            raise ValueError(f"variable names are lower-case words with underscores: {', '.join(bad)}")
        if (self.url is None) == (self.snapshot is None):
            raise ValueError("give exactly one of `url` (downloaded) or `snapshot` (file in data/)")
        if self.snapshot and (PurePosixPath(self.snapshot).is_absolute() or ".." in PurePosixPath(self.snapshot).parts):
            raise ValueError("`snapshot` names a file under data/: no absolute path, no `..`")
        if self.format == "xlsx" and not self.sheet:
            raise ValueError("format xlsx needs `sheet`, the worksheet to read")
        if (self.format == "json") != (self.records is not None):
            raise ValueError("`records` (the key of each page's rows) goes with format json, and json needs it")
        if self.next_page and self.format != "json":
            raise ValueError("`next_page` is for a paginated JSON API (format json)")
        for field in ("non_additive", "signed", "bounds", "multiply"):
            unknown = [v for v in getattr(self, field) if v not in self.variables]
            if unknown:
                raise ValueError(f"{field} names unknown variable(s): {', '.join(unknown)}")
        if any(low > high for low, high in self.bounds.values()):
            raise ValueError("bounds are [lowest, highest]")
        if self.member and self.members:
            raise ValueError("give `member` (one file of the zip) or `members` (several, with their levels), not both")
        if self.members and self.level_column:
            raise ValueError("with `members`, each file's level is given there: drop `level_column`")
        if self.level_values and not self.level_column:
            raise ValueError("`level_values` maps the codes of `level_column`: give it")
        long = [v for v, spec in self.variables.items() if isinstance(spec, Column)]
        if long and not self.year_column:
            raise ValueError(f"variables {', '.join(long)} read a long file: give `year_column`")
        return self

    @property
    def per_departement(self) -> bool:
        return PER_DEPARTEMENT in (self.url or "")

    def download_urls(self, departements: list[str] | tuple[str, ...]) -> list[str]:
        """The files to fetch: `url`, or one per département where it holds `{departement}`."""
        if not self.url:
            return []
        if not self.per_departement:
            return [self.url]
        return [self.url.replace(PER_DEPARTEMENT, d) for d in departements]

    @property
    def keys(self) -> list[str]:
        return [self.key] if isinstance(self.key, str) else self.key

    def columns(self) -> set[str]:
        """Every column this source reads."""
        wanted = set(self.keys) | {self.year_column, self.level_column, self.status_column} - {None}
        wanted |= set(self.attributes.values())
        wanted |= {MEMBER_LEVEL, MEMBER_CODE} if self.members else set()
        for spec in self.variables.values():
            wanted |= {*spec.columns, *spec.where} if isinstance(spec, Column) else set(spec)
        return wanted
