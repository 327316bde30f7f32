"""The progress method, pure: a set-based summary of each series (SQL, on the build's
database or on a frame in memory), then numpy over the summaries; no state.

See `etl/progress.py` for the method in words and the DuckDB stage that runs it; the
thresholds, categories and reasons are `itdd.method`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from etl.catalogue import DEFAULT_BASE_YEAR, Catalogue, Indicator, Target, Tolerance
from itdd.method import CATEGORIES, NO_TARGET_THRESHOLDS, TARGET_THRESHOLDS
from itdd.model import columns

__all__ = ["CATEGORIES", "OUTPUT_COLUMNS", "Assessment", "ProgressRule", "assess", "assess_frame", "limit_coefficient"]

LIMIT_EXPONENT = 4.44  # Statistics Canada's scaling exponent
USABLE = ("ok", "incomplete")
DECIMALS = 12  # comparisons ignore float noise: 1.5 % computed as 0.01499999999999 is on track
KEY = ["indicator_id", "level", "code"]


@dataclass(frozen=True)
class ProgressRule:
    """What the method needs to know about one indicator."""

    polarity: str | None
    base_year: int = DEFAULT_BASE_YEAR
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


# The flattened rule's numbers (floats, NaN for none), and all its columns in order.
NUMERIC_RULE_COLUMNS = [
    "target_absolute", "target_change_percent", "target_reference_first", "target_reference_last",
    "target_year", "natural_limit",
]  # fmt: skip
RULE_COLUMNS = ["indicator_id", "polarity", "base_year_from", *NUMERIC_RULE_COLUMNS, "growth_rate"]


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
    frame = pd.DataFrame(rows, columns=RULE_COLUMNS)
    frame[NUMERIC_RULE_COLUMNS] = frame[NUMERIC_RULE_COLUMNS].astype(float)
    frame["polarity"] = frame["polarity"].astype(object)
    return frame.set_index("indicator_id")


def _reasons(*flags: tuple[str, np.ndarray]) -> np.ndarray:
    """Comma-separated codes of the flags that hold, row by row; None where none does."""
    # Each row's flags as the bits of one integer, and each distinct combination written once
    # (concatenating strings row by row took 1.6 s at national size).
    bits = sum(np.asarray(mask, dtype=bool).astype(np.int64) << n for n, (_, mask) in enumerate(flags))
    combinations, row_combination = np.unique(bits, return_inverse=True)
    texts = [
        ",".join(code for n, (code, _) in enumerate(flags) if combination >> n & 1) for combination in combinations
    ]
    return np.array([text or None for text in texts], dtype=object)[row_combination.reshape(-1)]


# Each series in one row: its first and last usable points from the base year on, how many
# usable, positive, negative, incomplete and secret points, and the mean over a relative
# target's reference years. Set-based, over `{points}` (indicator_id, level, code, year,
# value, status) and `{rules}` (`rules_frame`, its index a column): the stage runs it on the
# database, `assess_frame` on a frame.
SERIES_SQL = """
WITH p AS (
    SELECT p.indicator_id, p.level, p.code, p.year, p.value, p.status,
           p.value IS NOT NULL AND p.status IN ('ok', 'incomplete') AS usable,
           p.year >= r.base_year_from AS in_window,
           p.year BETWEEN r.target_reference_first AND r.target_reference_last AS in_reference
    FROM {points} AS p JOIN {rules} AS r USING (indicator_id)
)
SELECT indicator_id, level, code,
       min(year) FILTER (usable AND in_window) AS base_year,
       max(year) FILTER (usable AND in_window) AS last_year,
       count(*) FILTER (usable AND in_window) AS points,
       count(*) FILTER (usable AND in_window AND value > 0) AS positives,
       count(*) FILTER (usable AND in_window AND value < 0) AS negatives,
       count(*) FILTER (usable AND in_window AND status = 'incomplete') AS incomplete_points,
       count(*) FILTER (in_window AND status = 'secret') AS secret_points,
       arg_min(value, year) FILTER (usable AND in_window) AS base_value,
       arg_min(status, year) FILTER (usable AND in_window) AS base_status,
       arg_max(value, year) FILTER (usable AND in_window) AS last_value,
       arg_max(status, year) FILTER (usable AND in_window) AS last_status,
       avg(value) FILTER (usable AND in_reference) AS target_reference
FROM p GROUP BY indicator_id, level, code ORDER BY indicator_id, level, code
"""


def series_summary(con: duckdb.DuckDBPyConnection, points: str, rules: str) -> pd.DataFrame:
    """`SERIES_SQL` over the relations named `points` and `rules`."""
    return con.execute(SERIES_SQL.format(points=points, rules=rules)).df()


def assess_frame(points: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Assess every (indicator_id, level, code) series of `points` at once.

    `points`: indicator_id, level, code, year, value, status (as in `indicator_values`).
    `rules`: `rules_frame(...)`. Series of indicators without a rule are ignored.
    """
    with duckdb.connect() as con:
        con.register("points", points)
        con.register("rules", rules.reset_index())
        return assess_summary(series_summary(con, "points", "rules"), rules)


def assess_summary(summary: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """The method over `series_summary`'s rows: one row of `indicator_progress` each."""
    if summary.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    r = summary.merge(rules, left_on="indicator_id", right_index=True)
    growth = _growth(r)
    target = _target(r, growth)
    has_target = ~np.isnan(target["year"])
    out = pd.DataFrame(
        {
            "indicator_id": r["indicator_id"],
            "level": r["level"],
            "code": r["code"],
            "base_year": r["base_year"].astype("Int64"),
            "last_year": r["last_year"].astype("Int64"),
            "base_value": growth["base"],
            "last_value": growth["last"],
            "cagr": growth["cagr"],
            "target_value": np.where(has_target, target["value"], np.nan),
            "target_year": pd.array(np.where(has_target, target["year"], np.nan)).astype("Int64"),
            "ratio_to_required": target["ratio"],
            "category": _category(r, growth, target),
            "reason": _reason(r, growth, target),
            "polarity": growth["polarity"],
            "signed_cagr": growth["signed"],
            "limit_coefficient": target["coefficient"],
            "points": growth["points"],
            "incomplete_points": r["incomplete_points"].fillna(0).astype(int),
        }
    )
    out["category"] = out["category"].astype(object).where(out["category"].notna(), None)
    return out[OUTPUT_COLUMNS].sort_values(KEY, ignore_index=True)


def _growth(r: pd.DataFrame) -> dict[str, np.ndarray]:
    """Observed growth: the CAGR where it can be computed, and signed by the desired direction."""
    points = r["points"].fillna(0).to_numpy(int)
    base, last = r["base_value"].to_numpy(float), r["last_value"].to_numpy(float)
    polarity = r["polarity"].to_numpy(object)
    direction = np.where(polarity == "higher_is_better", 1.0, np.where(polarity == "lower_is_better", -1.0, np.nan))
    growth_rate = r["growth_rate"].to_numpy(bool)
    two_points = points >= 2
    one_sign = (r["positives"].to_numpy(float) == points) | (r["negatives"].to_numpy(float) == points)
    computable = ~growth_rate & two_points & one_sign
    with np.errstate(divide="ignore", invalid="ignore"):
        cagr = np.where(
            computable, (last / base) ** (1 / (r["last_year"] - r["base_year"]).to_numpy(float)) - 1, np.nan
        )
    sign = np.sign(base)  # all-negative series: the desired direction flips (Open SDG)
    return {
        "points": points, "base": base, "last": last, "polarity": polarity, "direction": direction,
        "judged": np.isin(polarity, ["higher_is_better", "lower_is_better"]), "growth_rate": growth_rate,
        "two_points": two_points, "one_sign": one_sign, "computable": computable, "cagr": cagr,
        "signed": np.round(sign * direction * cagr, DECIMALS),
    }  # fmt: skip


def _target(r: pd.DataFrame, growth: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The target (absolute, or relative to the territory's own reference value), how far the
    growth goes towards it, and the natural limit's coefficient where there is no target."""
    base, last, direction = growth["base"], growth["last"], growth["direction"]
    base_year = r["base_year"].to_numpy(float)
    year = r["target_year"].to_numpy(float)
    has_target = ~np.isnan(year)
    change = r["target_change_percent"].to_numpy(float)
    value = np.where(
        ~np.isnan(change),
        r["target_reference"].to_numpy(float) * (1 + change / 100),
        r["target_absolute"].to_numpy(float),
    )
    reference_missing = has_target & np.isnan(value)
    with np.errstate(divide="ignore", invalid="ignore"):
        required = (value / base) ** (1 / (year - base_year)) - 1
    usable = has_target & ~reference_missing & (year > base_year) & (value * base >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            usable & growth["computable"] & (required != 0),
            np.round(growth["signed"] / np.abs(required), DECIMALS),
            np.nan,
        )
    # Natural limit: only without a target (the target already says how far to go).
    coefficient = np.where(
        usable, np.nan, limit_coefficient(base, r["natural_limit"].to_numpy(float), growth["polarity"])
    )
    return {
        "value": value, "year": year, "usable": usable, "reference_missing": reference_missing,
        "not_usable": has_target & ~reference_missing & ~usable & growth["computable"],
        "achieved": usable & np.where(direction > 0, last >= value, last <= value),
        "ratio": ratio, "coefficient": coefficient,
    }  # fmt: skip


def _category(r: pd.DataFrame, growth: dict[str, np.ndarray], target: dict[str, np.ndarray]) -> np.ndarray:
    c = np.where(np.isnan(target["coefficient"]), 1.0, target["coefficient"])
    high, medium = NO_TARGET_THRESHOLDS[0] * c, NO_TARGET_THRESHOLDS[1] * c
    usable, ratio, signed = target["usable"], target["ratio"], growth["signed"]
    rules = [  # the first that holds decides
        (~growth["judged"], None),
        (~growth["computable"], "unable_to_assess"),
        (target["achieved"], "target_achieved"),
        (usable & np.isnan(ratio), "deterioration"),  # required growth 0 and not achieved: moved away
        (usable & (ratio >= TARGET_THRESHOLDS[0]), "on_track"),
        (usable & (ratio >= TARGET_THRESHOLDS[1]), "acceleration_needed"),
        (usable & (ratio >= 0), "limited_progress"),
        (usable, "deterioration"),
        (signed >= high, "on_track"),
        (signed >= medium, "acceleration_needed"),
        (signed >= 0, "limited_progress"),
    ]
    return np.select([held for held, _ in rules], [category for _, category in rules], default="deterioration")


def _reason(r: pd.DataFrame, growth: dict[str, np.ndarray], target: dict[str, np.ndarray]) -> np.ndarray:
    secret_points = r["secret_points"].fillna(0).to_numpy(int)
    growth_rate, two_points, judged, computable = (
        growth["growth_rate"],
        growth["two_points"],
        growth["judged"],
        growth["computable"],
    )
    no_value_left = ~growth_rate & ~two_points
    incomplete_end = (r["base_status"].to_numpy(object) == "incomplete") | (
        r["last_status"].to_numpy(object) == "incomplete"
    )
    return _reasons(
        ("no_polarity", ~judged),
        ("growth_rate_indicator", growth_rate),
        ("secret", no_value_left & (secret_points > 0)),
        ("fewer_than_two_points", no_value_left & (secret_points == 0)),
        ("mixed_sign_or_zero", ~growth_rate & two_points & ~growth["one_sign"]),
        ("incomplete_values", computable & incomplete_end),
        ("target_reference_missing", computable & judged & target["reference_missing"]),
        ("target_not_usable", judged & target["not_usable"]),
    )


OUTPUT_COLUMNS = columns("indicator_progress")  # the order of the table (itdd.model)


def assess(
    series: Iterable[tuple[int, float | None, str]] | pd.DataFrame,
    polarity: str | None,
    target: Target | None = None,
    *,
    base_year: int = DEFAULT_BASE_YEAR,
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

    counts = ("points", "incomplete_points")
    values: dict[str, Any] = {
        f.name: int(row[f.name]) if f.name in counts else scalar(f.name) for f in fields(Assessment)
    }
    return Assessment(**values)


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
