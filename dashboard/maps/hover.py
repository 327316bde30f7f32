"""The map's hover: values travel as numbers, column by column, already rounded as they are
shown, and the text is assembled where it is shown.

A map's `customdata` is the column of values; the other columns travel in its format
(`layout.meta.hover`, `meta`): rank (0: none), change since the previous value, the positions
of the secret and incomplete rows and of the changes that are differences rather than
percentages, and the extra lines (progress, peers) as a few texts and one index per row. In
the dashboard, `assets/hover.js` turns each value into its row `[value text, rank, change text,
*line texts]` in the browser; `texts` writes the same rows in Python from the unrounded
values, with the functions the tables use (the static site's pages, which have no server, and
the tests that hold the two to the same words).

Each number is rounded once, on the server, from the unrounded values and to the decimals it
is shown with (`shown_values`, `changes`): the browser only writes it out, so what it shows is
what `dashboard.formatting` shows from the unrounded value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.formatting import change_since, format_number, is_rate
from dashboard.i18n import current_lang, t, unit_in

WORDS = ("missing", "secret", "incomplete", "points", "points_plural")
FIRST_LINE = 3  # a row's place of its first extra line: after value, rank and change
BEYOND_ROUNDING = 2.0**52  # a float this large has no fraction left to round


def spec(unit: str | None, decimals: int | None) -> dict:
    """The format of a map's hover, without its columns (`meta`)."""
    return {
        "lang": current_lang(),
        "decimals": decimals,
        "unit": unit_in(unit) if unit else None,
        "rate": is_rate(unit),
        "words": {w: t(w) for w in WORDS},
    }


def decimals_by_size(values: np.ndarray) -> np.ndarray:
    """`formatting.decimals_for` of each value: 0 from 1 000, 1 from 10, else 2."""
    size = np.abs(values)
    return np.where(size >= 1000, 0, np.where(size >= 10, 1, 2))


def rounded(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Each value rounded half-even to its decimals as Python's `round` and `format` round its
    exact binary value (NaN stays NaN). Vectorised; the few products that fall within a few
    units in the last place of a half, where the float multiplication may have rounded the
    other way, are rounded by Python."""
    values = np.asarray(values, dtype=float)
    scale = 10.0 ** np.asarray(decimals, dtype=float)
    scaled = values * scale
    with np.errstate(invalid="ignore"):
        out = np.where(np.abs(scaled) < BEYOND_ROUNDING, np.rint(scaled) / scale, values)
        near_half = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) <= 4 * np.spacing(np.abs(scaled))
    decimals = np.broadcast_to(decimals, values.shape)
    for i in np.flatnonzero(near_half & (np.abs(scaled) < BEYOND_ROUNDING)):
        out[i] = round(float(values[i]), int(decimals[i]))
    return out


def shown_values(values: np.ndarray, decimals: int | None) -> np.ndarray:
    """The values as the hover writes them: to the indicator's decimals, else to `decimals_for`'s."""
    values = np.asarray(values, dtype=float)
    return rounded(values, decimals_by_size(values) if decimals is None else np.full(values.shape, decimals))


def changes(values: np.ndarray, previous: np.ndarray, unit: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The change since the previous value as `formatting.change_since` computes it from the
    unrounded values, rounded once as it writes it (NaN: none); and where, for a unit that is not
    a rate, it is a difference rather than a percentage (a value not positive)."""
    values, previous = np.asarray(values, dtype=float), np.asarray(previous, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = is_rate(unit) | (previous <= 0) | (values <= 0)
        raw = np.where(difference, values - previous, (values / previous - 1) * 100)
    decimals = np.where(difference, np.maximum(1, decimals_by_size(raw)), 1)
    return rounded(raw, decimals), difference & ~np.isnan(raw) & (not is_rate(unit))


def columns(ranked: pd.DataFrame, unit: str | None, decimals: int | None) -> dict:
    """The hover's columns for a map's rows (`ranked`: value, rank, prev_value, status), in their
    order: numpy arrays, which travel without a Python object per row."""
    value = ranked["value"].to_numpy(dtype=float)
    change, difference = changes(value, ranked["prev_value"].to_numpy(dtype=float), unit)
    status = ranked["status"].to_numpy(dtype=object)
    return {
        "value": shown_values(value, decimals),
        "rank": np.nan_to_num(ranked["rank"].to_numpy(dtype=float), nan=0).astype(np.int64),
        "change": change,
        "secret": status == "secret",
        "incomplete": status == "incomplete",
        "difference": difference,
    }


def line(texts: list[str]) -> dict:
    """An extra hover line, one text per row, as it travels: its distinct texts and each row's index."""
    index, distinct = pd.factorize(pd.Series(texts, dtype=object), sort=False)
    return {"texts": list(distinct), "index": index.astype(np.int64)}


def meta(base: dict, hover_columns: dict, lines: list[dict], keep=None) -> dict:
    """The hover's format with its columns for the rows drawn (`keep`: their positions, None: all)."""

    def pick(column: np.ndarray) -> np.ndarray:
        return column if keep is None else column[keep]

    return {
        **base,
        "rank": pick(hover_columns["rank"]),
        "change": pick(hover_columns["change"]),
        **{flag: np.flatnonzero(pick(hover_columns[flag])) for flag in ("secret", "incomplete", "difference")},
        "lines": [{"texts": one["texts"], "index": pick(one["index"])} for one in lines],
    }


def texts(ranked: pd.DataFrame, base: dict, unit: str | None, lines: Sequence[dict] = ()) -> list[list]:
    """The hover's rows in words (in the current language, the spec's), from the unrounded values
    (`ranked`: value, rank, prev_value, status), with the tables' functions: what
    `assets/hover.js` writes from the columns."""
    decimals = base["decimals"]
    extra = [[one["texts"][i] for i in one["index"]] for one in lines]
    out = []
    for i, (value, rank, previous, status) in enumerate(
        ranked[["value", "rank", "prev_value", "status"]].itertuples(index=False)
    ):
        if pd.isna(value):
            shown = t("secret" if status == "secret" else "missing")
        else:
            shown = format_number(value, decimals, fixed=decimals is not None)
            shown = f"{shown} ({t('incomplete')})" if status == "incomplete" else shown
        rank = "–" if pd.isna(rank) else int(rank)
        out.append([shown, rank, change_since(previous, value, unit), *(texts[i] for texts in extra)])
    return out
