"""Progress: is a territory getting better on an indicator, how fast, how far from its
target, and how does it stand against its references?

The method is Statistics Canada's, as documented by Open SDG (docs/progress-methodology.md):

- observed growth between the base year and the last year with a usable value:
  `CAGR = (y_last / y_base) ** (1 / (t_last - t_base)) - 1`, signed by polarity (and by
  the sign of the values, so that a negative series moving towards zero counts right);
- with a target: `R = signed CAGR / |CAGR_T|`, where `CAGR_T` is the growth needed to go
  from the base value to the target on time; R >= 95 % on track, >= 60 % acceleration
  needed, >= 0 limited progress, < 0 deterioration; a last value at or beyond the target
  is `target_achieved`;
- without a target: signed CAGR >= 1.5 % a year on track, >= 0.5 % acceleration needed,
  >= 0 limited progress, < 0 deterioration; near a natural limit the positive
  thresholds are multiplied by `limit_coefficient` (below);
- `unable_to_assess`, with a reason, rather than a guess.

Decisions (README, "Progress"):

- usable points are `ok` and `incomplete` values; an `incomplete` base or last value is
  used but flagged (`incomplete_values` in `reason`, and `incomplete_points`);
- the base year is the first year with a usable value from `base_year` on (2015 by
  default, per indicator in `progress.base_year`);
- a relative target resolves per territory from its own reference value; when that
  value is absent the indicator is assessed without its target and `reason` says so;
- indicators that are themselves rates of change (`kind: change_rate`) take values of
  both signs: the exponential model does not apply to them (Open SDG asks to assess the
  underlying level instead), so they are not assessed;
- context indicators (no polarity) get their growth and no category.

`indicator_status` compares each value with its references (the enclosing territories
in `territory_links`), and `progress_summary` counts categories per finality.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from etl.catalogue import Catalogue, Indicator, Target, Tolerance
from etl.composite import ensure_tables as ensure_composite_tables

log = logging.getLogger(__name__)

CATEGORIES = (
    "target_achieved",
    "on_track",
    "acceleration_needed",
    "limited_progress",
    "deterioration",
    "unable_to_assess",
)
# Reasons, in `reason` as comma-separated codes. The first four stop an assessment; the
# others are caveats on one that was made.
REASONS = {
    "no_polarity": "context indicator: growth shown, no judgement",
    "growth_rate_indicator": "the indicator is itself a rate of change, of either sign: assess its level instead",
    "fewer_than_two_points": "fewer than two years with a value since the base year",
    "secret": "values withheld by the producer (statistical secrecy) leave fewer than two years",
    "mixed_sign_or_zero": "values of both signs, or a zero: a growth rate is not defined",
    "incomplete_values": "the base or last value was computed without some of its parts",
    "target_reference_missing": "no value in the target's reference year(s): assessed without the target",
    "target_not_usable": "target of another sign than the values, or not after the base year: assessed without it",
}

NO_TARGET_THRESHOLDS = (0.015, 0.005)  # on track, acceleration needed; 0 separates the last two
TARGET_THRESHOLDS = (0.95, 0.60)
LIMIT_EXPONENT = 4.44  # Statistics Canada's scaling exponent
USABLE = ("ok", "incomplete")
DECIMALS = 12  # comparisons ignore float noise: 1.5 % computed as 0.01499999999999 is on track
KEY = ["indicator_id", "level", "code"]


@dataclass(frozen=True)
class ProgressRule:
    """What the method needs to know about one indicator."""

    polarity: str | None
    base_year: int = 2015
    target: Target | None = None
    natural_limit: float | None = None
    growth_rate: bool = False


@dataclass(frozen=True)
class Assessment:
    base_year: int | None
    last_year: int | None
    base_value: float | None
    last_value: float | None
    cagr: float | None
    signed_cagr: float | None
    target_value: float | None
    target_year: int | None
    ratio_to_required: float | None
    limit_coefficient: float | None
    category: str | None
    reason: str | None
    points: int
    incomplete_points: int


def limit_coefficient(base_value, natural_limit, polarity):
    """Statistics Canada's scaling factor C, in [0, 1], for the positive thresholds.

    Only a limit in the desired direction counts (a maximum above the base value when
    higher is better, a minimum below it when lower is better); otherwise C = 1.
    Maximum L: C = 1 - (y0 / L) ** 4.44. Minimum L: C = 1 - ((2L - y0) / L) ** 4.44
    between L and 2L, and 1 from 2L on. C is 0 at the limit. A minimum of 0 never
    scales: a steady relative decline never reaches zero.
    Works on scalars and numpy arrays; NaN where there is no limit.
    """
    y0, lim = np.asarray(base_value, dtype=float), np.asarray(natural_limit, dtype=float)
    higher = np.asarray(polarity, dtype=object) == "higher_is_better"
    with np.errstate(divide="ignore", invalid="ignore"):
        below_maximum = np.where(y0 > lim, 1.0, 1 - np.clip(y0 / lim, 0, 1) ** LIMIT_EXPONENT)
        above_minimum = np.where(
            (y0 >= 2 * lim) | (y0 < lim), 1.0, 1 - np.clip((2 * lim - y0) / lim, 0, 1) ** LIMIT_EXPONENT
        )
    c = np.where(np.isnan(lim), np.nan, np.where(higher, below_maximum, above_minimum))
    return float(c) if c.ndim == 0 else c


def rules_frame(rules: dict[str, ProgressRule]) -> pd.DataFrame:
    """One row per indicator: the rule flattened into columns `assess_frame` reads."""
    rows = []
    for indicator_id, rule in rules.items():
        t = rule.target
        first, last = (t.reference_period or (t.reference_year, t.reference_year)) if t else (None, None)
        rows.append(
            {
                "indicator_id": indicator_id,
                "polarity": rule.polarity,
                "base_year_from": rule.base_year,
                "target_absolute": t.value if t else None,
                "target_change_percent": t.change_percent if t else None,
                "target_reference_first": first,
                "target_reference_last": last,
                "target_year": t.year if t else None,
                "natural_limit": rule.natural_limit,
                "growth_rate": rule.growth_rate,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "indicator_id",
            "polarity",
            "base_year_from",
            "target_absolute",
            "target_change_percent",
            "target_reference_first",
            "target_reference_last",
            "target_year",
            "natural_limit",
            "growth_rate",
        ],
    )
    for column in (
        "target_absolute",
        "target_change_percent",
        "target_reference_first",
        "target_reference_last",
        "target_year",
        "natural_limit",
    ):
        frame[column] = frame[column].astype(float)
    frame["polarity"] = frame["polarity"].astype(object)
    return frame.set_index("indicator_id")


def _reasons(*flags: tuple[str, np.ndarray]) -> np.ndarray:
    """Comma-separated codes of the flags that hold, row by row; None where none does."""
    n = len(flags[0][1])
    out = np.full(n, "", dtype=object)
    for code, mask in flags:
        out = np.where(mask, np.where(out == "", code, out + "," + code), out)
    return np.where(out == "", None, out)


def assess_frame(points: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Assess every (indicator_id, level, code) series of `points` at once.

    `points`: indicator_id, level, code, year, value, status (as in `indicator_values`).
    `rules`: `rules_frame(...)`. Series of indicators without a rule are ignored.
    """
    p = points[points["indicator_id"].isin(rules.index)].merge(rules, left_on="indicator_id", right_index=True)
    keys = p[KEY].drop_duplicates().reset_index(drop=True)
    if keys.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    usable = p["value"].notna() & p["status"].isin(USABLE)
    in_window = p["year"] >= p["base_year_from"]
    w = p[usable & in_window].assign(
        positive=lambda d: d["value"] > 0,
        negative=lambda d: d["value"] < 0,
        incomplete=lambda d: d["status"] == "incomplete",
    )
    spans = w.groupby(KEY, as_index=False).agg(
        base_year=("year", "min"),
        last_year=("year", "max"),
        points=("year", "size"),
        positives=("positive", "sum"),
        negatives=("negative", "sum"),
        incomplete_points=("incomplete", "sum"),
    )
    secrets = p[in_window & (p["status"] == "secret")].groupby(KEY).size().rename("secret_points").reset_index()
    ends = w[KEY + ["year", "value", "status"]]
    r = (
        keys.merge(rules, left_on="indicator_id", right_index=True)
        .merge(spans, on=KEY, how="left")
        .merge(secrets, on=KEY, how="left")
        .merge(
            ends.rename(columns={"year": "base_year", "value": "base_value", "status": "base_status"}),
            on=KEY + ["base_year"],
            how="left",
        )
        .merge(
            ends.rename(columns={"year": "last_year", "value": "last_value", "status": "last_status"}),
            on=KEY + ["last_year"],
            how="left",
        )
    )
    # The reference value of a relative target: the territory's mean over the reference years.
    refs = p[usable & p["year"].between(p["target_reference_first"], p["target_reference_last"])]
    r = r.merge(refs.groupby(KEY)["value"].mean().rename("target_reference").reset_index(), on=KEY, how="left")

    n_points = r["points"].fillna(0).to_numpy(int)
    secret_points = r["secret_points"].fillna(0).to_numpy(int)
    base, last = r["base_value"].to_numpy(float), r["last_value"].to_numpy(float)
    years = (r["last_year"] - r["base_year"]).to_numpy(float)
    polarity = r["polarity"].to_numpy(object)
    judged = np.isin(polarity, ["higher_is_better", "lower_is_better"])
    direction = np.where(polarity == "higher_is_better", 1.0, np.where(polarity == "lower_is_better", -1.0, np.nan))
    growth_rate = r["growth_rate"].to_numpy(bool)
    two_points = n_points >= 2
    one_sign = (r["positives"].to_numpy(float) == n_points) | (r["negatives"].to_numpy(float) == n_points)
    computable = ~growth_rate & two_points & one_sign
    with np.errstate(divide="ignore", invalid="ignore"):
        cagr = np.where(computable, (last / base) ** (1 / years) - 1, np.nan)
    sign = np.sign(base)  # all-negative series: the desired direction flips (Open SDG)
    signed = np.round(sign * direction * cagr, DECIMALS)

    # Target: absolute, or relative to the territory's own reference value.
    has_target = ~np.isnan(r["target_year"].to_numpy(float))
    relative = ~np.isnan(r["target_change_percent"].to_numpy(float))
    target_value = np.where(
        relative,
        r["target_reference"].to_numpy(float) * (1 + r["target_change_percent"].to_numpy(float) / 100),
        r["target_absolute"].to_numpy(float),
    )
    target_year = r["target_year"].to_numpy(float)
    reference_missing = has_target & np.isnan(target_value)
    with np.errstate(divide="ignore", invalid="ignore"):
        target_growth = (target_value / base) ** (1 / (target_year - r["base_year"].to_numpy(float))) - 1
    target_usable = (
        has_target & ~reference_missing & (target_year > r["base_year"].to_numpy(float)) & (target_value * base >= 0)
    )
    target_not_usable = has_target & ~reference_missing & ~target_usable & computable
    achieved = target_usable & np.where(direction > 0, last >= target_value, last <= target_value)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            target_usable & computable & (target_growth != 0),
            np.round(signed / np.abs(target_growth), DECIMALS),
            np.nan,
        )
    # Natural limit: only without a target (the target already says how far to go).
    coefficient = np.where(target_usable, np.nan, limit_coefficient(base, r["natural_limit"].to_numpy(float), polarity))
    c = np.where(np.isnan(coefficient), 1.0, coefficient)
    high, medium = NO_TARGET_THRESHOLDS[0] * c, NO_TARGET_THRESHOLDS[1] * c

    stop = ~computable
    category = np.select(
        [
            ~judged,
            stop,
            achieved,
            target_usable & np.isnan(ratio),  # required growth 0 and not achieved: moved away
            target_usable & (ratio >= TARGET_THRESHOLDS[0]),
            target_usable & (ratio >= TARGET_THRESHOLDS[1]),
            target_usable & (ratio >= 0),
            target_usable,
            signed >= high,
            signed >= medium,
            signed >= 0,
        ],
        [
            None,
            "unable_to_assess",
            "target_achieved",
            "deterioration",
            "on_track",
            "acceleration_needed",
            "limited_progress",
            "deterioration",
            "on_track",
            "acceleration_needed",
            "limited_progress",
        ],
        default="deterioration",
    )
    no_value_left = ~growth_rate & ~two_points
    base_status, last_status = r["base_status"].to_numpy(object), r["last_status"].to_numpy(object)
    reason = _reasons(
        ("no_polarity", ~judged),
        ("growth_rate_indicator", growth_rate),
        ("secret", no_value_left & (secret_points > 0)),
        ("fewer_than_two_points", no_value_left & (secret_points == 0)),
        ("mixed_sign_or_zero", ~growth_rate & two_points & ~one_sign),
        ("incomplete_values", computable & ((base_status == "incomplete") | (last_status == "incomplete"))),
        ("target_reference_missing", computable & judged & reference_missing),
        ("target_not_usable", judged & target_not_usable),
    )
    out = pd.DataFrame(
        {
            "indicator_id": r["indicator_id"],
            "level": r["level"],
            "code": r["code"],
            "base_year": r["base_year"].astype("Int64"),
            "last_year": r["last_year"].astype("Int64"),
            "base_value": base,
            "last_value": last,
            "cagr": cagr,
            "target_value": np.where(has_target, target_value, np.nan),
            "target_year": pd.array(np.where(has_target, target_year, np.nan)).astype("Int64"),
            "ratio_to_required": ratio,
            "category": category,
            "reason": reason,
            "polarity": polarity,
            "signed_cagr": signed,
            "limit_coefficient": coefficient,
            "points": n_points,
            "incomplete_points": r["incomplete_points"].fillna(0).astype(int),
        }
    )
    out["category"] = out["category"].astype(object).where(out["category"].notna(), None)
    return out[OUTPUT_COLUMNS].sort_values(KEY, ignore_index=True)


OUTPUT_COLUMNS = [
    "indicator_id", "level", "code", "base_year", "last_year", "base_value", "last_value", "cagr",
    "target_value", "target_year", "ratio_to_required", "category", "reason",
    "polarity", "signed_cagr", "limit_coefficient", "points", "incomplete_points",
]  # fmt: skip


def assess(
    series: Iterable[tuple[int, float | None, str]] | pd.DataFrame,
    polarity: str | None,
    target: Target | None = None,
    *,
    base_year: int = 2015,
    natural_limit: float | None = None,
    growth_rate: bool = False,
) -> Assessment:
    """Assess one series of (year, value, status) points: the method on a single territory."""
    frame = (
        series if isinstance(series, pd.DataFrame) else pd.DataFrame(list(series), columns=["year", "value", "status"])
    )
    frame = frame.assign(indicator_id="x", level="commune", code="x")
    frame["value"] = frame["value"].astype(float)
    if frame.empty:
        frame = pd.DataFrame({"indicator_id": ["x"], "level": ["commune"], "code": ["x"], "year": [base_year],
                              "value": [np.nan], "status": ["missing"]})  # fmt: skip
    rule = ProgressRule(polarity, base_year, target, natural_limit, growth_rate)
    row = assess_frame(frame, rules_frame({"x": rule})).iloc[0]

    def scalar(name):
        v = row[name]
        return (
            None
            if v is None or pd.isna(v)
            else (int(v) if name.endswith("year") else v if isinstance(v, str) else float(v))
        )

    return Assessment(
        base_year=scalar("base_year"),
        last_year=scalar("last_year"),
        base_value=scalar("base_value"),
        last_value=scalar("last_value"),
        cagr=scalar("cagr"),
        signed_cagr=scalar("signed_cagr"),
        target_value=scalar("target_value"),
        target_year=scalar("target_year"),
        ratio_to_required=scalar("ratio_to_required"),
        limit_coefficient=scalar("limit_coefficient"),
        category=scalar("category"),
        reason=scalar("reason"),
        points=int(row["points"]),
        incomplete_points=int(row["incomplete_points"]),
    )


def rule_for(indicator: Indicator, catalogue: Catalogue) -> ProgressRule:
    own = indicator.progress
    return ProgressRule(
        polarity=indicator.polarity,
        base_year=own.base_year if own and own.base_year is not None else catalogue.progress.base_year,
        target=indicator.target,
        natural_limit=own.natural_limit if own else None,
        growth_rate=indicator.kind == "change_rate",
    )


def tolerance_for(indicator: Indicator, catalogue: Catalogue) -> Tolerance:
    own = indicator.progress
    return own.tolerance if own and own.tolerance else catalogue.progress.tolerance


# ---------------------------------------------------------------------------------------
# DuckDB stage


PROGRESS_DDL = """
CREATE OR REPLACE TABLE indicator_progress (
    indicator_id VARCHAR, level VARCHAR, code VARCHAR, base_year INTEGER, last_year INTEGER,
    base_value DOUBLE, last_value DOUBLE, cagr DOUBLE, target_value DOUBLE, target_year INTEGER,
    ratio_to_required DOUBLE, category VARCHAR, reason VARCHAR,
    polarity VARCHAR, signed_cagr DOUBLE, limit_coefficient DOUBLE, points INTEGER, incomplete_points INTEGER
)"""


def assess_progress(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Write `indicator_progress`, `indicator_status`, `progress_summary` and `progress_categories`."""
    ensure_composite_tables(con)  # present even when the catalogue has no composite
    rules = rules_frame({i.id: rule_for(i, catalogue) for i in catalogue.indicators})
    con.execute(PROGRESS_DDL)
    for indicator_id in rules.index:  # one indicator at a time: memory bounded by the largest, not the sum
        points = con.execute(
            "SELECT indicator_id, level, code, year, value, status FROM indicator_values WHERE indicator_id = ?",
            [indicator_id],
        ).df()
        con.register("_progress_df", assess_frame(points, rules.loc[[indicator_id]]))
        con.execute(f"INSERT INTO indicator_progress SELECT {', '.join(OUTPUT_COLUMNS)} FROM _progress_df")
        con.unregister("_progress_df")
    con.execute("CREATE OR REPLACE TABLE indicator_progress AS SELECT * FROM indicator_progress ORDER BY ALL")
    _status(con, catalogue)
    _summary(con, catalogue)
    _categories(con)
    counts = dict(
        con.execute("SELECT coalesce(category, 'context'), count(*) FROM indicator_progress GROUP BY 1").fetchall()
    )
    log.info("progress: %s", counts)


STATUS_COLUMNS = """
    indicator_id VARCHAR, level VARCHAR, code VARCHAR, year INTEGER, value DOUBLE,
    reference_level VARCHAR, reference_code VARCHAR, reference_value DOUBLE, reference_status VARCHAR,
    difference DOUBLE, position VARCHAR, tolerance DOUBLE"""


def _status(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Each value against the same indicator, same year, in every enclosing territory.

    Counts (they grow with the territory's size) and composites (scaled within their own
    level) are left out. `similar` means within the
    indicator's tolerance (5 % of the reference by default)."""
    settings = pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "polarity": i.polarity,
                "levels": [lv.value for lv in i.levels],
                "tolerance_relative": tolerance_for(i, catalogue).relative,
                "tolerance_absolute": tolerance_for(i, catalogue).absolute,
            }
            for i in catalogue.indicators
            # a commune's count against the département's is no comparison, and a composite
            # is scaled within its own level
            if i.kind not in ("count", "composite")
        ]
    )
    con.register("_status_settings", settings)
    con.execute(f"CREATE OR REPLACE TABLE indicator_status ({STATUS_COLUMNS})")
    # One indicator at a time, unsorted: the table is values × enclosing territories (about 50 M
    # rows at national size), sorting it tripled the stage's time, and its one reader
    # (`queries.status_rows`, one territory) sorts what it reads.
    for indicator_id in settings["indicator_id"]:
        con.execute(
            """
            INSERT INTO indicator_status
            WITH pairs AS (
                SELECT v.indicator_id, v.level, v.code, v.year, v.value,
                       l.parent_level AS reference_level, l.parent_code AS reference_code,
                       r.value AS reference_value, coalesce(r.status, 'missing') AS reference_status,
                       v.value - r.value AS difference, s.polarity,
                       coalesce(s.tolerance_absolute, s.tolerance_relative * abs(r.value)) AS tolerance
                FROM indicator_values v
                JOIN _status_settings s ON s.indicator_id = v.indicator_id
                JOIN territory_links l ON l.child_level = v.level AND l.child_code = v.code
                     AND list_contains(s.levels, l.parent_level)
                LEFT JOIN indicator_values r ON r.indicator_id = v.indicator_id AND r.level = l.parent_level
                     AND r.code = l.parent_code AND r.year = v.year
                WHERE v.value IS NOT NULL AND v.indicator_id = $1
            )
            SELECT indicator_id, level, code, year, value, reference_level, reference_code, reference_value,
                   reference_status, difference,
                   CASE WHEN polarity IS NULL OR reference_value IS NULL THEN NULL
                        WHEN abs(difference) <= tolerance THEN 'similar'
                        WHEN (difference > 0) = (polarity = 'higher_is_better') THEN 'better'
                        ELSE 'worse' END AS position,
                   tolerance
            FROM pairs
            """,
            [indicator_id],
        )
    con.unregister("_status_settings")


def _summary(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Per territory and finality, how many indicators fall in each category."""
    finalities = pd.DataFrame([{"indicator_id": i.id, "finality": i.finality.value} for i in catalogue.indicators])
    con.register("_finalities", finalities)
    con.execute("""
        CREATE OR REPLACE TABLE progress_summary AS
        SELECT p.level, p.code, f.finality, p.category, count(*)::INTEGER AS indicators,
               list(p.indicator_id ORDER BY p.indicator_id) AS indicator_ids
        FROM indicator_progress p JOIN _finalities f USING (indicator_id)
        WHERE p.category IS NOT NULL
        GROUP BY ALL ORDER BY ALL
    """)
    con.unregister("_finalities")


CATEGORY_TEXT = {  # category: (label fr, label en, rule fr, rule en)
    "target_achieved": (
        "Cible atteinte",
        "Target achieved",
        "La dernière valeur atteint ou dépasse la cible.",
        "The last value reaches or passes the target.",
    ),
    "on_track": (
        "En bonne voie",
        "On track",
        "Avec cible : R ≥ 95 %. Sans cible : évolution annuelle moyenne dans le bon sens ≥ 1,5 % "
        "(seuil réduit près d'une limite naturelle).",
        "With a target: R ≥ 95 %. Without: compound annual growth in the right direction ≥ 1.5 % "
        "(threshold reduced near a natural limit).",
    ),
    "acceleration_needed": (
        "Progrès, accélération nécessaire",
        "Progress made, acceleration needed",
        "Avec cible : 60 % ≤ R < 95 %. Sans cible : entre 0,5 % et 1,5 % par an dans le bon sens.",
        "With a target: 60 % ≤ R < 95 %. Without: 0.5 % to 1.5 % a year in the right direction.",
    ),
    "limited_progress": (
        "Progrès limité",
        "Limited progress",
        "Avec cible : 0 ≤ R < 60 %. Sans cible : entre 0 et 0,5 % par an dans le bon sens.",
        "With a target: 0 ≤ R < 60 %. Without: 0 to 0.5 % a year in the right direction.",
    ),
    "deterioration": (
        "Détérioration",
        "Deterioration",
        "Évolution dans le mauvais sens (R < 0, ou évolution annuelle < 0 dans le sens souhaité).",
        "Moving the wrong way (R < 0, or growth in the desired direction below 0).",
    ),
    "unable_to_assess": (
        "Évaluation impossible",
        "Unable to assess",
        "Moins de deux années de données, valeurs secrètes, de signes mêlés ou nulles, ou "
        "indicateur qui est lui-même un taux d'évolution : pas de jugement.",
        "Fewer than two years of data, secret values, values of mixed sign or zero, or an "
        "indicator that is itself a rate of change: no judgement.",
    ),
}


def _categories(con: duckdb.DuckDBPyConnection) -> None:
    """The method in words, for the legend and for every badge to link to."""
    rows = [
        {"category": c, "rank": n, "label_fr": fr, "label_en": en, "rule_fr": rule_fr, "rule_en": rule_en}
        for n, (c, (fr, en, rule_fr, rule_en)) in enumerate(CATEGORY_TEXT.items())
    ]
    con.register("_categories_df", pd.DataFrame(rows))
    con.execute("CREATE OR REPLACE TABLE progress_categories AS SELECT * FROM _categories_df ORDER BY rank")
    con.unregister("_categories_df")
    reasons = pd.DataFrame([{"reason": k, "meaning_en": v} for k, v in REASONS.items()])
    con.register("_reasons_df", reasons)
    con.execute("CREATE OR REPLACE TABLE progress_reasons AS SELECT * FROM _reasons_df")
    con.unregister("_reasons_df")
