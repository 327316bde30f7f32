"""Progress categories in the interface: badges (symbol, text and colour), sentences, map colours.

Pure functions over rows of `indicator_progress` (see progress_queries.progress_rows); no database access.
A badge never relies on colour alone: it carries a symbol and the category's name, and it
links to the method page, at the category's anchor.
"""

from __future__ import annotations

import pandas as pd

from dashboard import urls
from dashboard.attributes import aria, optional
from dashboard.components import dcc, html
from dashboard.formatting import format_number, format_value, is_missing
from dashboard.i18n import colon, current_lang, t
from itdd import method
from itdd.method import CATEGORIES, CAVEATS, ON_TRACK_RATE, REASON_ORDER
from itdd.sql import named_rows

CONTEXT = "context"  # no category: a context indicator, growth shown without judgement
NOT_ASSESSED = "not_assessed"  # no row in indicator_progress for this territory
# Fill colour (map and badge), text colour on that fill (contrast >= 4.5:1).
# The five judged categories follow ColorBrewer RdYlBu (colour-blind safe, blue is favourable);
# the categories without a judgement are greys and a light purple, never one of those hues.
COLOURS = {
    "target_achieved": ("#08519c", "#ffffff"),
    "on_track": ("#74add1", "#000000"),
    "acceleration_needed": ("#fee090", "#000000"),
    "limited_progress": ("#f46d43", "#000000"),
    "deterioration": ("#a50026", "#ffffff"),
    "unable_to_assess": ("#969696", "#000000"),
    CONTEXT: ("#dadaeb", "#000000"),
    NOT_ASSESSED: ("#f7f7f7", "#000000"),
}
# Symbol, fill, ink: the method's symbol for its categories, the dashboard's for its own two states.
SYMBOLS = {**{c.code: c.symbol for c in method.CATEGORY_LIST}, CONTEXT: "◇", NOT_ASSESSED: "–"}
STYLE = {key: (SYMBOLS[key], fill, ink) for key, (fill, ink) in COLOURS.items()}


def category_key(category: object) -> str:
    return CONTEXT if is_missing(category) else str(category)


def category_label(category: object, labels: dict | None = None) -> str:
    """The category's name: from progress_categories when given, else the method's (itdd.method),
    else the dashboard's own text (context, not assessed)."""
    key = category_key(category)
    return (labels or {}).get((key, current_lang())) or method.category_label(key, current_lang()) or t(f"cat_{key}")


def labels_from(categories: pd.DataFrame) -> dict:
    """{(category, lang): label} from a progress_categories frame (may be empty)."""
    out = {}
    for r in named_rows(categories):  # a few rows, read on every page
        for lang in ("fr", "en"):
            value = getattr(r, f"label_{lang}", None)
            if not is_missing(value):
                out[(r.category, lang)] = str(value)
    return out


def method_href(category: object) -> str:
    return urls.method(category_key(category))


def badge(category: object, labels: dict | None = None, title: str | None = None) -> dcc.Link:
    """A link to the method: symbol (hidden from screen readers) + category name, on its colour."""
    key = category_key(category)
    key = key if key in STYLE else NOT_ASSESSED
    # Colours come from badge_css(), once per page: a table of badges stays light.
    return dcc.Link(
        [
            html.Span(STYLE[key][0], className="badge-symbol", **aria(hidden="true")),
            category_label(key, labels),
        ],
        href=method_href(key),
        className=f"badge badge-{key}",
        **optional(title=title),
    )


def badge_css() -> str:
    """The badge colours, from STYLE, as CSS rules (also kept in print)."""
    return "\n".join(f".badge-{key} {{ background: {fill}; color: {ink}; }}" for key, (_, fill, ink) in STYLE.items())


def percent_a_year(rate: float) -> str:
    """0.003 -> '+0,3 %/an' (fr) or '+0.3%/yr' (en)."""
    number = format_number(rate * 100, decimals=1, sign=True)
    if number in ("0", "+0", "-0"):
        number = "0"
    return f"{number}\u202f%/an" if current_lang() == "fr" else f"{number}%/yr"


def required_rate(row) -> float | None:
    """The compound annual growth needed from the base value to reach the target on time."""
    try:
        base, target = float(row.base_value), float(row.target_value)
        years = float(row.target_year) - float(row.base_year)
    except (TypeError, ValueError, AttributeError):
        return None
    if is_missing(base) or is_missing(target) or years <= 0 or base == 0 or target / base < 0:
        return None
    return (target / base) ** (1 / years) - 1


def reasons_text(reason: object, only: tuple[str, ...] | None = None) -> str:
    codes = [c.strip() for c in ("" if is_missing(reason) else str(reason)).split(",") if c.strip()]
    if only is not None:
        codes = [c for c in codes if c in only]
    return ", ".join(method.reason_text(c, current_lang()) or c for c in codes)


def explanation(row, unit: str | None, labels: dict | None = None, with_label: bool = True) -> str:
    """Plain words for one row of indicator_progress.

    'Progrès limité : +0,3 %/an alors qu'il faudrait +1,8 %/an pour atteindre 32 % en 2030'.
    """
    category = getattr(row, "category", None)
    key = category_key(category)
    name = f"{category_label(key, labels)}{colon()}" if with_label else ""
    if key == "unable_to_assess":
        why = reasons_text(row.reason) or t("reason_unknown")
        if "fewer_than_two_points" in str(row.reason):  # say what would bring a verdict
            why += ("\u202f; " if current_lang() == "fr" else "; ") + t("unlock_fewer_than_two_points")
        return _capital(f"{name}{why}")
    cagr = getattr(row, "cagr", None)
    years = {"base": _year(row.base_year), "last": _year(row.last_year)}
    if is_missing(cagr):
        # The badge already says "context": name the other reasons, if any.
        drop = ("no_polarity",) if key == CONTEXT else ()
        codes = tuple(c for c in REASON_ORDER if c not in drop)
        why = reasons_text(row.reason, codes) or reasons_text(row.reason) or t("reason_unknown")
        return _capital(f"{name}{why}")
    observed = percent_a_year(float(cagr))
    has_target = not is_missing(getattr(row, "target_value", None)) and not is_missing(
        getattr(row, "ratio_to_required", None)
    )
    if key == "target_achieved":
        text = t(
            "explain_achieved",
            last=format_value(row.last_value, unit),
            year=years["last"],
            target=format_value(row.target_value, unit),
            target_year=_year(row.target_year),
        )
    elif has_target and (needed := required_rate(row)) is not None:
        text = t(
            "explain_target",
            observed=observed,
            needed=percent_a_year(needed),
            target=format_value(row.target_value, unit),
            target_year=_year(row.target_year),
            **years,
        )
    elif key == CONTEXT:
        text = t("explain_context", observed=observed, **years)
    else:
        # Near a natural limit, Statistics Canada scales the threshold by C.
        limit = getattr(row, "limit_coefficient", None)
        scale = 1.0 if is_missing(limit) else min(max(float(limit), 0.0), 1.0)
        threshold = percent_a_year(ON_TRACK_RATE * scale).lstrip("+")
        text = t("explain_no_target", observed=observed, threshold=threshold, **years)
    caveats = reasons_text(row.reason, CAVEATS)
    return _capital(f"{name}{text}" + (f" ({caveats})" if caveats else ""))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _year(value: float | None) -> str:
    return "–" if is_missing(value) else str(int(value))


def progress_cell(row, unit: str | None, labels: dict | None = None) -> list:
    """Badge and its explanation, for a table cell or a card."""
    if row is None:
        return [badge(NOT_ASSESSED, labels)]
    return [
        badge(row.category, labels),
        html.Div(explanation(row, unit, labels, with_label=False), className="explain"),
    ]


POSITION_SYMBOL = {"better": "▲", "similar": "=", "worse": "▼"}


def position_text(position: object) -> list:
    """'▲ mieux' / '= proche' / '▼ moins bien' (symbol hidden from screen readers); [] without one."""
    if is_missing(position) or position not in POSITION_SYMBOL:
        return []
    return [
        html.Span(
            [html.Span(POSITION_SYMBOL[position], **aria(hidden="true")), f" {t(f'position_{position}')}"],
            className=f"position position-{position}",
        )
    ]


def map_categories(codes: pd.Series, progress: pd.DataFrame) -> list[str]:
    """The category key of each territory code (NOT_ASSESSED where there is no row)."""
    if not len(progress):
        return [NOT_ASSESSED] * len(codes)
    # category_key over the column at once: a national map has 35,000 codes
    keys = progress["category"].astype(object).where(progress["category"].notna(), CONTEXT)
    by_code = pd.Series(keys.to_numpy(dtype=object), index=progress["code"].to_numpy(dtype=object))
    return by_code.reindex(list(codes)).fillna(NOT_ASSESSED).tolist()


MAP_KEYS = (*CATEGORIES, CONTEXT, NOT_ASSESSED)
