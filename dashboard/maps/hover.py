"""The map's hover: values travel as numbers, with one format for the whole map, and the text is
assembled where it is shown.

Each territory's `customdata` row is `[value, rank, previous value, *texts]` (None when
missing; `texts` are the progress and peer lines, already words). The format (`spec`) says
the language, the indicator's declared decimals, its unit, and which rows are secret or
incomplete, so that secret and missing stay apart. In the dashboard, `assets/hover.js`
turns the rows into `[value text, rank text, change text, *texts]` in the browser; `texts`
here does the same in Python, with the functions the tables use (the static site's pages,
which have no server, and the tests that hold the two to the same words).
"""

from __future__ import annotations

import math

from dashboard.formatting import change_since, format_number, is_missing, is_rate
from dashboard.i18n import t, unit_in

WORDS = ("missing", "secret", "incomplete", "points", "points_plural")
SIGNIFICANT = 12  # far beyond any shown digit: a rounding twice would need 5 digits of 9s or 0s


def spec(unit: str | None, lang: str, decimals: int | None) -> dict:
    """The format of a map's hover, without the per-row flags (`flagged`)."""
    return {
        "lang": lang,
        "decimals": decimals,
        "unit": unit_in(unit, lang) if unit else None,
        "rate": is_rate(unit),
        "words": {w: t(w, lang) for w in WORDS},
    }


def number(value) -> float | int | None:
    """A value as the hover receives it: None when missing, else rounded to `SIGNIFICANT` digits
    but never within its integer part (1 690 493 stays whole, and is sent as an integer): more
    than any hover shows, in fewer bytes than a float's full repr."""
    if not isinstance(value, float):  # a float is checked below without pandas: a national map has 70,000
        if is_missing(value):
            return None
        value = float(value)
    if math.isnan(value):
        return None
    if value == 0 or not math.isfinite(value):
        return value
    rounded = round(value, max(SIGNIFICANT - 1 - math.floor(math.log10(abs(value))), 0))
    return int(rounded) if rounded.is_integer() else rounded


def flags(statuses) -> list[str]:
    """One flag per territory: `s` secret, `i` incomplete, `` otherwise."""
    return [{"secret": "s", "incomplete": "i"}.get(s, "") for s in statuses]


def flagged(base: dict, row_flags: list[str]) -> dict:
    """`base` with the positions of the secret and incomplete rows (those drawn, in their order)."""
    return {
        **base,
        "secret": [i for i, f in enumerate(row_flags) if f == "s"],
        "incomplete": [i for i, f in enumerate(row_flags) if f == "i"],
    }


def texts(rows: list[list], hover: dict, unit: str | None) -> list[list]:
    """The rows as the hover shows them: what `assets/hover.js` writes in the browser."""
    lang, decimals = hover["lang"], hover["decimals"]
    secret, incomplete = set(hover["secret"]), set(hover["incomplete"])
    out = []
    for i, (value, rank, previous, *rest) in enumerate(rows):
        if value is None:
            shown = t("secret" if i in secret else "missing", lang)
        else:
            shown = format_number(value, lang, decimals, fixed=decimals is not None)
            shown = f"{shown} ({t('incomplete', lang)})" if i in incomplete else shown
        out.append([shown, "–" if rank is None else rank, change_since(previous, value, unit, lang), *rest])
    return out
