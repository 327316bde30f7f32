"""The map's view model: what a `/carte` URL (or the map's controls) asks for, resolved against
the database into a `MapView`, or a `NotFound` that says what is missing and offers choices;
and the state the map and its table draw for a view (`state_for`, kept for both)."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import assessment, database, figures, peers, progress_queries, queries
from dashboard.chrome import metadata, text
from dashboard.i18n import current_lang, t
from dashboard.search import nearest

COLOURS = {
    "valeur": "value",
    "progres": "progress",
    "pairs": "peers",
}  # URL value: i18n suffix; the first is the default
DEFAULT_COLOUR = next(iter(COLOURS))
# What the browser keeps of a view (the `map-view` store), and the types the table callback accepts.
PUBLIC_FIELDS = ("indicator", "level", "year", "classes", "colour", "unit", "polarity", "decimals")
VIEW_TYPES = {"indicator": (str,), "level": (str,), "year": (int,), "classes": (str,), "colour": (str,)}
QUERY = ("indicateur", "niveau", "annee", "classes", "couleur")  # a map URL's parameters, in `resolve`'s order


@dataclass(frozen=True)
class MapView:
    """One map: an indicator at a level and year, its classes and colouring, and what the
    controls offer (its drawable levels and its years)."""

    indicator: str
    level: str
    year: int
    classes: str
    colour: str
    levels: tuple[str, ...]
    years: tuple[int, ...]
    unit: str | None
    polarity: str | None
    decimals: int | None

    def public(self) -> dict:
        """What the browser keeps of the view (the `map-view` store)."""
        return {k: getattr(self, k) for k in PUBLIC_FIELDS}

    def url_params(self) -> dict:
        """The query of the view's URL; defaults left out."""
        classes = None if self.classes == figures.CLASS_METHODS[0] else self.classes
        colour = None if self.colour == DEFAULT_COLOUR else self.colour
        return dict(zip(QUERY, (self.indicator, self.level, self.year, classes, colour), strict=True))


@dataclass(frozen=True)
class NotFound:
    """What a URL asked for that the database lacks: `kind` (indicator, level or year), the
    value asked for and the closest choices."""

    kind: str
    value: object
    choices: list


def resolve(database, indicateur=None, niveau=None, annee=None, classes=None, couleur=None) -> MapView | NotFound:
    """The view a URL asks for, with defaults filled in, or what is not found."""
    catalogue = database.run(queries.list_indicators)
    ids = catalogue["indicator_id"].tolist()
    if not ids:
        return NotFound("indicator", indicateur or "", [])
    drawable = database.run(queries.geometry_levels)
    if indicateur is None:
        indicateur = next((i for i in ids if set(drawable) & set(database.run(queries.indicator_levels, i))), ids[0])
    if indicateur not in ids:
        return NotFound("indicator", indicateur, nearest(ids, str(indicateur)))
    levels = [lv for lv in database.run(queries.indicator_levels, indicateur) if lv in drawable]
    if not levels:
        return NotFound("level", niveau or "", [])
    niveau = niveau or levels[0]
    if niveau not in levels:
        return NotFound("level", niveau, levels)
    years = database.years(indicateur, niveau)
    year = _year(annee, years)
    if year not in years:
        close = sorted(years, key=lambda y: abs(y - year) if year is not None else -y)[:5]
        return NotFound("year", annee, sorted(close))
    row = catalogue.set_index("indicator_id").loc[indicateur]
    decimals = metadata(row).get("decimals")
    return MapView(
        indicator=indicateur,
        level=niveau,
        year=year,
        classes=classes if classes in figures.CLASS_METHODS else figures.CLASS_METHODS[0],
        colour=couleur if couleur in COLOURS else DEFAULT_COLOUR,
        levels=tuple(levels),
        years=tuple(years),
        unit=text(row["unit"]) or None,
        polarity=text(row["polarity"]) or None,
        decimals=decimals if isinstance(decimals, int) else None,
    )


def _year(annee, years: list[int]) -> int | None:
    if annee in (None, ""):
        return years[-1]
    try:
        return int(annee)
    except (TypeError, ValueError):
        return None


def resolve_switch(database, trigger, indicator, level, year, classes, colour) -> MapView | None:
    """The view the map's controls ask for, `trigger` being the control that changed: a new
    level keeps the year if it has it; a new indicator keeps the level and year when it has
    them, else falls back to its defaults. None when nothing fits."""
    if trigger == "niveau" and year not in database.years(indicator, level):
        year = None  # the latest year of the new level
    view = resolve(database, indicator, level, year, classes, colour)
    if isinstance(view, NotFound) and trigger == "indicateur":
        view = resolve(database, indicator, level, None, classes, colour)
        if isinstance(view, NotFound):
            view = resolve(database, indicator, None, None, classes, colour)
    return view if isinstance(view, MapView) else None


# Recent map states: the table callback follows the map's with the same view. Few: a national
# state holds 35,000 rows (about 7 MB), and each worker keeps its own.
_STATES = database.ResultCache(8)
# The codes and names of a level's territories, one list each that the states of the level share.
_TERRITORIES = database.ResultCache(8)


def state_for(database, view: MapView) -> dict:
    """Everything the map and its table show for a view (read-only: callers copy what they change)."""
    key = (
        str(database.path),
        database.version,
        tuple(view.public().items()),
        current_lang(),
    )  # its texts are in the language
    hit, state = _STATES.get(key)
    if not hit:
        state = _shared_lists(database, view.level, _map_state(database, view))
        _STATES.put(key, state)
    return state


def _shared_lists(database, level: str, state: dict) -> dict:
    """`state` with the codes and names lists of an earlier state of its level, when they are the same."""
    key = (str(database.path), database.version, level)
    hit, kept = _TERRITORIES.get(key)
    if hit and kept == (state["codes"], state["names"]):
        return {**state, "codes": kept[0], "names": kept[1]}
    _TERRITORIES.put(key, (state["codes"], state["names"]))
    return state


def _map_state(database, view: MapView) -> dict:
    values = database.run(queries.map_values, view.indicator, view.level, view.year)
    state = figures.map_state(values, view.unit, view.polarity, view.classes, view.decimals)
    if not database.run(queries.has_progress):
        return state
    colour = view.colour == "progres"
    labels = assessment.labels_from(database.run(progress_queries.progress_labels))
    # The sentence in the hover only when colouring by progress: it would double every value switch's bytes.
    if colour:
        progress = database.run(progress_queries.progress_rows, view.level, None, view.indicator)
        rows = {r.code: r for r in progress.itertuples()}
        explanations = [
            assessment.explanation(rows[c], view.unit, labels, with_label=False) if c in rows else ""
            for c in state["codes"]
        ]
    else:
        progress, explanations = database.run(progress_queries.category_rows, view.indicator, view.level), None
    categories = assessment.map_categories(state["codes"], progress)
    state = figures.with_progress(state, categories, labels, colour=colour, explanations=explanations)
    if view.colour != "pairs":
        return state
    verdicts = database.run(progress_queries.peer_verdicts, view.indicator, view.level)
    keys, sentences = peers.map_verdicts(state["codes"], verdicts)
    state = figures.with_hover_line(state, t("hover_peers"), sentences)
    return figures.coloured_by(state, keys, peers.verdict_legend(), "peers")
