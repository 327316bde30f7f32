"""The progress method's vocabulary, shared by the ETL (which assesses and stores) and the
dashboard (which shows): its thresholds, its categories (in rank order, with symbol and
labels) and its reasons (in the order they are listed to people, with their texts).

Every sentence that states a threshold is made here from the numbers, never restated.
"""

from __future__ import annotations

from dataclasses import dataclass

# Without a target: signed compound annual growth from which a series is on track, and from
# which acceleration is needed; 0 separates limited progress from deterioration.
NO_TARGET_THRESHOLDS = (0.015, 0.005)
# With a target: R (observed growth over required growth) from which a series is on track,
# and from which acceleration is needed; 0 separates limited progress from deterioration.
TARGET_THRESHOLDS = (0.95, 0.60)
ON_TRACK_RATE = NO_TARGET_THRESHOLDS[0]


@dataclass(frozen=True)
class Category:
    """A progress category: its code, the symbol its badge shows, its names and its rule."""

    code: str
    symbol: str
    fr: str
    en: str
    rule_fr: str
    rule_en: str


@dataclass(frozen=True)
class Reason:
    """Why an assessment was not made (`stops`) or is qualified (a caveat): `meaning` is the
    English explanation stored in `progress_reasons`; `fr` and `en` are the interface's words."""

    code: str
    stops: bool
    meaning: str
    fr: str
    en: str


def percent(rate: float, lang: str) -> str:
    """0.015 -> '1,5 %' (fr) or '1.5 %' (en): a threshold as the method's texts write it."""
    number = f"{rate * 100:g}"
    return f"{number.replace('.', ',') if lang == 'fr' else number} %"


def thresholds(lang: str) -> dict[str, str]:
    """The thresholds in words, for the texts that state them: `{on_track}`, `{acceleration}`
    (no target) and `{r_on_track}`, `{r_acceleration}` (with a target)."""
    (on_track, acceleration), (r_on_track, r_acceleration) = NO_TARGET_THRESHOLDS, TARGET_THRESHOLDS
    return {
        "on_track": percent(on_track, lang),
        "acceleration": percent(acceleration, lang),
        "r_on_track": percent(r_on_track, lang),
        "r_acceleration": percent(r_acceleration, lang),
    }


FR, EN = thresholds("fr"), thresholds("en")

CATEGORY_LIST = (  # in rank order, best first
    Category(
        "target_achieved",
        "★",
        "Cible atteinte",
        "Target achieved",
        "La dernière valeur atteint ou dépasse la cible.",
        "The last value reaches or passes the target.",
    ),
    Category(
        "on_track",
        "✓",
        "En bonne voie",
        "On track",
        f"Avec cible : R ≥ {FR['r_on_track']}. Sans cible : évolution annuelle moyenne dans le bon sens "
        f"≥ {FR['on_track']} (seuil réduit près d'une limite naturelle).",
        f"With a target: R ≥ {EN['r_on_track']}. Without: compound annual growth in the right direction "
        f"≥ {EN['on_track']} (threshold reduced near a natural limit).",
    ),
    Category(
        "acceleration_needed",
        "↗",
        "Progrès, accélération nécessaire",
        "Progress made, acceleration needed",
        f"Avec cible : {FR['r_acceleration']} ≤ R < {FR['r_on_track']}. Sans cible : entre {FR['acceleration']} "
        f"et {FR['on_track']} par an dans le bon sens.",
        f"With a target: {EN['r_acceleration']} ≤ R < {EN['r_on_track']}. Without: {EN['acceleration']} to "
        f"{EN['on_track']} a year in the right direction.",
    ),
    Category(
        "limited_progress",
        "→",
        "Progrès limité",
        "Limited progress",
        f"Avec cible : 0 ≤ R < {FR['r_acceleration']}. Sans cible : entre 0 et {FR['acceleration']} par an "
        "dans le bon sens.",
        f"With a target: 0 ≤ R < {EN['r_acceleration']}. Without: 0 to {EN['acceleration']} a year in the "
        "right direction.",
    ),
    Category(
        "deterioration",
        "✗",
        "Détérioration",
        "Deterioration",
        "Évolution dans le mauvais sens (R < 0, ou évolution annuelle < 0 dans le sens souhaité).",
        "Moving the wrong way (R < 0, or growth in the desired direction below 0).",
    ),
    Category(
        "unable_to_assess",
        "?",
        "Évaluation impossible",
        "Unable to assess",
        "Moins de deux années de données, valeurs secrètes, de signes mêlés ou nulles, ou "
        "indicateur qui est lui-même un taux d'évolution : pas de jugement.",
        "Fewer than two years of data, secret values, values of mixed sign or zero, or an "
        "indicator that is itself a rate of change: no judgement.",
    ),
)
CATEGORIES = tuple(c.code for c in CATEGORY_LIST)
CATEGORY = {c.code: c for c in CATEGORY_LIST}

REASON_LIST = (  # in the order they are listed to people: what stops an assessment, then caveats
    Reason(
        "fewer_than_two_points",
        True,
        "fewer than two years with a value since the base year",
        "moins de deux années de données",
        "fewer than two years of data",
    ),
    Reason(
        "secret",
        True,
        "values withheld by the producer (statistical secrecy) leave fewer than two years",
        "valeurs couvertes par le secret statistique",
        "values withheld by statistical secrecy",
    ),
    Reason(
        "mixed_sign_or_zero",
        True,
        "values of both signs, or a zero: a growth rate is not defined",
        "valeurs nulles ou de signes différents\u00a0: pas de taux d'évolution",
        "zero values or values of both signs: no growth rate",
    ),
    Reason(
        "growth_rate_indicator",
        True,
        "the indicator is itself a rate of change, of either sign: assess its level instead",
        "l'indicateur est lui-même un taux d'évolution\u00a0: c'est son niveau qui est évalué",
        "the indicator is itself a rate of change: its level is assessed instead",
    ),
    Reason(
        "no_polarity",
        True,
        "context indicator: growth shown, no judgement",
        "indicateur de contexte, sans sens souhaité",
        "context indicator, no desired direction",
    ),
    Reason(
        "incomplete_values",
        False,
        "the base or last value was computed without some of its parts",
        "valeur de départ ou d'arrivée incomplète",
        "incomplete base or last value",
    ),
    Reason(
        "target_reference_missing",
        False,
        "no value in the target's reference year(s): assessed without the target",
        "pas de valeur pour l'année de référence de la cible\u00a0: évalué sans cible",
        "no value in the target's reference year: assessed without the target",
    ),
    Reason(
        "target_not_usable",
        False,
        "target of another sign than the values, or not after the base year: assessed without it",
        "cible inutilisable ici\u00a0: évalué sans cible",
        "target not usable here: assessed without it",
    ),
)
REASON_ORDER = tuple(r.code for r in REASON_LIST)
REASON = {r.code: r for r in REASON_LIST}
CAVEATS = tuple(r.code for r in REASON_LIST if not r.stops)


def reason_text(code: str, lang: str) -> str | None:
    """A reason in the interface's words, or None for a code the method does not know."""
    reason = REASON.get(code)
    return None if reason is None else reason.fr if lang == "fr" else reason.en


def category_label(code: str, lang: str) -> str | None:
    """A category's name, or None for a code the method does not know."""
    category = CATEGORY.get(code)
    return None if category is None else category.fr if lang == "fr" else category.en


def status_select(values: str = "indicator_values") -> str:
    """The SELECT of `indicator_status` over a relation of values (`indicator_values`' columns):
    each value against the same indicator, same year, in every enclosing territory of
    `territory_links` at the levels of `status_settings`; `similar` within the tolerance.

    The ETL makes the view from it over every value; a portrait runs it over the rows it has
    read (its territory's and its references'), so that the values are not scanned again."""
    return f"""
        WITH pairs AS (
            SELECT v.indicator_id, v.level, v.code, v.year, v.value,
                   l.parent_level AS reference_level, l.parent_code AS reference_code,
                   r.value AS reference_value, coalesce(r.status, 'missing') AS reference_status,
                   v.value - r.value AS difference, s.polarity,
                   coalesce(s.tolerance_absolute, s.tolerance_relative * abs(r.value)) AS tolerance
            FROM {values} v
            JOIN status_settings s ON s.indicator_id = v.indicator_id
            JOIN territory_links l ON l.child_level = v.level AND l.child_code = v.code
                 AND list_contains(s.levels, l.parent_level)
            LEFT JOIN {values} r ON r.indicator_id = v.indicator_id AND r.level = l.parent_level
                 AND r.code = l.parent_code AND r.year = v.year
            WHERE v.value IS NOT NULL
        )
        SELECT indicator_id, level, code, year, value, reference_level, reference_code, reference_value,
               reference_status, difference,
               CASE WHEN polarity IS NULL OR reference_value IS NULL THEN NULL
                    WHEN abs(difference) <= tolerance THEN 'similar'
                    WHEN (difference > 0) = (polarity = 'higher_is_better') THEN 'better'
                    ELSE 'worse' END AS position,
               tolerance
        FROM pairs
    """  # noqa: S608 (a relation name from code)
