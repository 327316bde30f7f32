"""Number and trend formatting: French (U+202F groups, decimal comma) or English."""

from __future__ import annotations

import functools
import math

import pandas as pd

from dashboard.i18n import current_lang, t, unit_in

NARROW_NBSP = "\u202f"  # French thousands separator and space before a unit


def is_missing(value: object) -> bool:
    """None, NaN or NA; a list or any other non-scalar is not missing (and never an error)."""
    kind = type(value)
    if kind is float:  # the frequent cases first, without pandas' checks
        return value != value
    if kind is str:
        return False
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def decimals_for(value: float | None) -> int:
    """Enough decimals for a readable value: 267 991, 5 398,1, 1,35."""
    if is_missing(value):
        return 0
    size = abs(float(value))
    if size >= 1000:
        return 0
    if size >= 10:
        return 1
    return 2


def format_number(value: float | None, decimals: int | None = None, sign: bool = False, fixed: bool = False) -> str:
    """1234567.8 -> '1 234 567,8' (fr, U+202F) or '1,234,567.8' (en); trailing zeros dropped,
    unless `fixed` (one precision for every value of an indicator: '7,0' beside '9,2').

    Missing values give the translated "missing" label, never 0.
    """
    if is_missing(value):
        return t("missing")
    number, decimals = float(value), decimals_for(value) if decimals is None else decimals
    # -0.0 equals 0.0, so it would find 0.0's text in the cache ("0,0" for "-0,0" when `fixed`)
    written = _formatted.__wrapped__ if number == 0 else _formatted
    return written(number, decimals, sign, fixed, current_lang())


@functools.lru_cache(maxsize=8192)  # the references' values and the years recur on many pages
def _formatted(value: float, decimals: int, sign: bool, fixed: bool, lang: str) -> str:
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    if "." in text and not fixed:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "+0"):
        text = "0"
    if lang == "fr":
        text = text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def format_value(value: float | None, unit: str | None, decimals: int | None = None, fixed: bool = False) -> str:
    text = format_number(value, decimals, fixed=fixed)
    if unit and not is_missing(value):
        text = f"{text}{NARROW_NBSP if current_lang() == 'fr' else ' '}{unit_in(unit)}"
    return text


def format_percent(value: float, sign: bool = False) -> str:
    """A percentage with one decimal: '2,3 %' (fr, U+202F before %) or '2.3%' (en)."""
    number = format_number(value, decimals=1, sign=sign)
    return f"{number}{NARROW_NBSP}%" if current_lang() == "fr" else f"{number}%"


def annual_growth(first_year: int, first: float, last_year: int, last: float) -> float | None:
    """Compound annual growth in % between two positive values, else None."""
    if last_year <= first_year or is_missing(first) or is_missing(last) or first <= 0 or last <= 0:
        return None
    return ((last / first) ** (1 / (last_year - first_year)) - 1) * 100


def change_since(previous: float | None, current: float | None, unit: str | None) -> str:
    """Short change between two values: '+1,2 %' for positive stocks, '+0,3 point' otherwise."""
    if is_missing(previous) or is_missing(current):
        return "–"
    if is_rate(unit) or previous <= 0 or current <= 0:
        return _delta(current - previous, unit, sign=True)
    return format_percent((current / previous - 1) * 100, sign=True)


def format_difference(delta: float, unit: str | None) -> str:
    """A signed difference between two values: '+1,53 point' for rates, '+3 917 hab./km²' otherwise."""
    return _delta(delta, unit, sign=True)


def is_rate(unit: str | None) -> bool:
    return bool(unit) and unit.strip().startswith("%")


def _delta(delta: float, unit: str | None, sign: bool = False) -> str:
    decimals = max(1, decimals_for(delta))
    number = format_number(delta, decimals=decimals, sign=sign)
    if is_rate(unit):
        plural = abs(round(delta, decimals)) >= 2  # as written: 1.996 is "+2 points"
        return f"{number} {t('points_plural' if plural else 'points')}"
    return f"{number}{NARROW_NBSP if current_lang() == 'fr' else ' '}{unit_in(unit)}" if unit else number


def trend_sentence(series: pd.DataFrame, unit: str | None) -> str:
    """Plain words for a (year, value) series: 'en hausse de 2,3 % par an depuis 2016'."""
    return trend_words(list(zip(series["year"], series["value"], strict=True)), unit)


def trend_words(points: list[tuple[int, float]], unit: str | None) -> str:
    """`trend_sentence` over (year, value) pairs.

    Positive stocks get a compound annual rate; rates and values that can be
    zero or negative get the difference in points or units since the first year.
    """
    points = sorted((int(y), float(v)) for y, v in points if not is_missing(v))
    if not points:
        return t("no_value")
    if len(points) < 2:
        return t("trend_single")
    (year, first), (last_year, last) = points[0], points[-1]
    rate = None if is_rate(unit) else annual_growth(year, first, last_year, last)
    if rate is not None:
        if math.isclose(rate, 0, abs_tol=0.05):
            return t("trend_flat", year=year)
        key = "trend_up" if rate > 0 else "trend_down"
        return t(key, rate=format_percent(abs(rate)), year=year)
    delta = last - first
    if math.isclose(delta, 0, abs_tol=10 ** -max(1, decimals_for(delta))):
        return t("trend_flat", year=year)
    key = "trend_up_abs" if delta > 0 else "trend_down_abs"
    return t(key, delta=_delta(abs(delta), unit), year=year)
