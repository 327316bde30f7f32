"""The progress method, pure: pandas and numpy over a frame of values, no database.

See `etl/progress.py` for the method in words and the DuckDB stage that runs it; the
thresholds, categories and reasons are `itdd.method`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
