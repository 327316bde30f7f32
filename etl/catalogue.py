"""The indicator catalogue's schema: what `indicators.yaml` may say of its sources, its
indicators and the build (`Catalogue`), each field validated (the sources' own fields in
`etl.catalogue_sources`). `etl.catalogue_reader` reads the file into it, collecting every
error at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from etl.catalogue_base import Strict
from etl.catalogue_sources import Source
from itdd.export import DEFAULT_DECIMALS, default_decimals
from itdd.model import NAME, Level


class Finality(StrEnum):
    climat = "climat"
    biodiversite = "biodiversite"
    cohesion_sociale = "cohesion_sociale"
    epanouissement = "epanouissement"
    production_consommation = "production_consommation"


class Text(Strict):
    fr: str
    en: str | None = None


class Bilingual(Strict):
    """A text that English pages need as much as French ones: both languages, neither empty."""

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)


class VariableRef(Strict):
    source: str = Field(pattern=NAME.pattern)
    variable: str = Field(pattern=NAME.pattern)


class Target(Strict):
    """A quantitative target: absolute (`value` by `year`) or relative (`change_percent`
    against the value of `reference_year`, or the mean of `reference_period`)."""

    value: float | None = None
    change_percent: float | None = Field(default=None, ge=-100, le=1000)  # e.g. -50: half the reference value
    reference_year: int | None = None
    reference_period: tuple[int, int] | None = None  # inclusive years, compared on their mean
    year: int = Field(ge=1990, le=2100)
    basis: str  # the law or plan that sets it

    @model_validator(mode="after")
    def _absolute_or_relative(self) -> Target:
        if (self.value is None) == (self.change_percent is None):
            raise ValueError("give exactly one of `value` (absolute) or `change_percent` (relative)")
        references = (self.reference_year is not None) + (self.reference_period is not None)
        if self.change_percent is not None and references != 1:
            raise ValueError("a relative target needs exactly one of `reference_year` or `reference_period`")
        if self.value is not None and references:
            raise ValueError("an absolute target takes no reference year or period")
        if self.reference_period and self.reference_period[0] > self.reference_period[1]:
            raise ValueError("reference_period is [first year, last year]")
        return self


class Tolerance(Strict):
    """How close to a reference counts as `similar`: a share of the reference, or an absolute gap."""

    relative: float | None = Field(default=None, ge=0)
    absolute: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.relative is None) == (self.absolute is None):
            raise ValueError("give exactly one of `relative` (0.05 = 5 % of the reference) or `absolute`")
        return self


DEFAULT_BASE_YEAR = 2015  # without `progress.base_year` (the method page states the build's, `progress_settings`)


class ProgressSettings(Strict):
    """Catalogue-wide progress settings; each indicator may override them."""

    base_year: int = DEFAULT_BASE_YEAR  # the base is the first year with data from this year on
    tolerance: Tolerance = Tolerance(relative=0.05)


class PeerFeature(Strict):
    """One characteristic that makes territories comparable: an indicator's value in `year`
    (or the latest year before it that the level has), `log`-transformed for sizes."""

    indicator: str = Field(pattern=NAME.pattern)
    year: int = Field(ge=1990, le=2100)
    transform: Literal["log"] | None = None
    weight: float = Field(default=1.0, gt=0)


class PeerSettings(Strict):
    """Comparable territories (etl.peers): the `k` nearest of the same level within the build,
    on standardised features; a comparison needs at least `min_peers` peers with data."""

    k: int = Field(default=10, ge=1, le=50)
    min_peers: int = Field(default=5, ge=1)
    levels: list[Level] = Field(default_factory=lambda: [Level.commune, Level.epci])
    features: list[PeerFeature] = Field(min_length=1)

    @model_validator(mode="after")
    def _enough(self) -> PeerSettings:
        if self.min_peers > self.k:
            raise ValueError("min_peers cannot exceed k")
        return self


class IndicatorProgress(Strict):
    base_year: int | None = None
    natural_limit: float | None = None  # e.g. 100 for a share that cannot exceed 100 %
    tolerance: Tolerance | None = None


class Component(Strict):
    """A composite's component: an indicator id, its weight, and its direction when the
    indicator itself has none (a context indicator used as a proxy)."""

    id: str = Field(pattern=NAME.pattern)
    weight: float = Field(default=1.0, gt=0)
    polarity: Literal["higher_is_better", "lower_is_better"] | None = None


def _component_from_id(value: object) -> object:
    return {"id": value} if isinstance(value, str) else value


class Normalisation(Strict):
    """Min-max over the territories of one level, with bounds fixed on `reference_period`."""

    method: Literal["min_max"] = "min_max"
    reference_period: tuple[int, int]
    component_max_age: int = Field(default=0, ge=0)  # a component may be this many years older than the index year


def _as_series(value: object) -> object:
    """One {source, variable}, or a list of them: the years of one series published in
    several files (an edition per file); where two give the same year, the newer edition wins
    (`Catalogue.newest_first`)."""
    return [value] if isinstance(value, dict) else value


Series = Annotated[list[VariableRef], BeforeValidator(_as_series), Field(min_length=1)]


def _with_decimals(value: object) -> object:
    """Fill `decimals` from the unit when it is not declared, so the built catalogue holds it."""
    if isinstance(value, dict) and value.get("decimals") is None:
        return {**value, "decimals": default_decimals(value.get("unit"))}
    return value


class Indicator(Strict):
    id: str = Field(pattern=NAME.pattern)
    label: Text
    finality: Finality
    sdg: list[int] = Field(default_factory=list)
    unit: str
    decimals: int = Field(default=DEFAULT_DECIMALS, ge=0, le=6, strict=True)  # see DECIMALS_BY_UNIT
    polarity: Literal["higher_is_better", "lower_is_better"] | None = None
    kind: Literal["count", "ratio", "change_rate", "published", "composite"]
    variable: Series | None = None  # count, change_rate, published
    numerator: Series | None = None  # ratio
    denominator: Series | None = None  # ratio
    scale: float = Field(default=1.0, gt=0)  # m² to ha is 0.0001; 0 or less would erase or negate values
    # composite: indicator ids, or {id, weight, polarity}
    components: list[Annotated[Component, BeforeValidator(_component_from_id)]] = Field(default_factory=list)
    normalisation: Normalisation | None = None  # composite
    pending_components: list[Text] = Field(default_factory=list)  # composite: wanted, no data yet
    progress: IndicatorProgress | None = None
    levels: list[Level]
    target: Target | None = None
    definition: Text
    limits: Bilingual | None = None  # shown on the sheet in the page's language

    _default_decimals = model_validator(mode="before")(_with_decimals)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Indicator:
        needed = {
            "count": ["variable"],
            "change_rate": ["variable"],
            "published": ["variable"],
            "ratio": ["numerator", "denominator"],
            "composite": ["components"],
        }[self.kind]
        missing = [f for f in needed if not getattr(self, f)]
        if missing:
            raise ValueError(f"kind {self.kind} needs {' and '.join(missing)}")
        if any(not 1 <= g <= 17 for g in self.sdg):
            raise ValueError("sdg goals are numbers from 1 to 17")
        return self

    def needs_any_of(self, sources: set[str]) -> bool:
        """Whether losing `sources` leaves one of its series (variable, numerator, denominator) empty."""
        series = [s for s in (self.variable, self.numerator, self.denominator) if s]
        return any(all(r.source in sources for r in s) for s in series)

    def refs(self) -> list[VariableRef]:
        return [r for series in (self.variable, self.numerator, self.denominator) for r in series or []]

    def component_specs(self) -> list[Component]:
        return list(self.components)


class Catalogue(Strict):
    reference_code_list: int
    # The territory a build takes without --territory (`40`, `R75`, `FR`); without it, the
    # territory of the embedded data.
    territory: str | None = None
    # The referential: sources giving the communes of the reference code list, their name,
    # département, région and EPCI (`attributes`). For each commune and attribute, the first
    # listed source that gives it wins.
    referential: list[str] = Field(default_factory=list)
    # Population used to weigh the coverage of incomplete aggregates (a series, newest edition first).
    coverage_population: Series | None = None
    # A source in INSEE's v_mvt_commune layout; when it loads, it replaces the snapshot's history.
    commune_history: str | None = None
    # A geojson source of commune outlines (`key`: the code property), in any code list.
    boundaries: str | None = None
    progress: ProgressSettings = ProgressSettings()  # base year and tolerance for every indicator
    peers: PeerSettings | None = None  # comparable territories; none: no peer comparison
    sources: list[Source]
    indicators: list[Indicator]

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def source_ids(self, indicator: Indicator) -> list[str]:
        """The sources an indicator's values come from; a composite's are its components'."""
        refs = [r.source for r in self.newest_first(indicator).refs()]
        refs += [s for c in indicator.component_specs() for s in self.source_ids(self.indicator(c.id))]
        return list(dict.fromkeys(refs))

    def newest_first(self, indicator: Indicator) -> Indicator:
        """The indicator with each series' sources newest edition first (undated last, ties in
        the listed order): where two give the same territory and year, the first wins."""
        editions = {s.id: s.edition or "" for s in self.sources}  # ISO text sorts as dates

        def ordered(series: list[VariableRef] | None) -> list[VariableRef] | None:
            return None if series is None else sorted(series, key=lambda r: editions[r.source], reverse=True)

        fields = ("variable", "numerator", "denominator")
        return indicator.model_copy(update={f: ordered(getattr(indicator, f)) for f in fields})

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)
