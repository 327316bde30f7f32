"""Comparable territories and policies in words and charts (issue #17).

Pure functions over rows of `indicator_peer_comparison`, `territory_peers` and
`policy_effects` / `policy_series` (see queries); no database access.
"""

from __future__ import annotations

from dashboard.assessment import percent_a_year
from dashboard.attributes import aria
from dashboard.charts import chart
from dashboard.components import html
from dashboard.formatting import format_number, format_value, is_missing
from dashboard.i18n import colon, current_lang, t, unit_in

# Map and legend, in legend order: symbol and fill (the fills of the progress badges' scale).
VERDICT_STYLE = {
    "better": ("▲", "#4575b4"),
    "similar": ("=", "#ffffbf"),
    "worse": ("▼", "#d73027"),
    "not_comparable": ("?", "#969696"),
    "context": ("◇", "#dadaeb"),  # a context indicator: growth without judgement
    "none": ("–", "#f7f7f7"),  # no comparison for this territory (peers not computed at this level)
}
VERDICT_SYMBOL = {key: symbol for key, (symbol, _) in VERDICT_STYLE.items()}


def verdict_key(row) -> str:
    """The VERDICT_STYLE key of a row of indicator_peer_comparison (None: no row)."""
    if row is None:
        return "none"
    return "context" if is_missing(row.verdict) else row.verdict


def map_verdicts(codes: list[str], rows) -> tuple[list[str], list[str]]:
    """Each territory's verdict key and its sentence (for the hover), in the order of `codes`."""
    by_code = {r.code: r for r in rows.itertuples()}
    keys = [verdict_key(by_code.get(c)) for c in codes]
    sentences = [peer_sentence(by_code[c]) if c in by_code else t("peer_none") for c in codes]
    return keys, sentences


def verdict_legend() -> dict[str, tuple[str, str, str]]:
    """{key: (symbol, fill, words)} for figures.coloured_by."""
    words = {"context": "peer_legend_context", "none": "peer_none"}
    return {key: (symbol, fill, t(words.get(key, f"peer_{key}"))) for key, (symbol, fill) in VERDICT_STYLE.items()}


def peer_sentence(row) -> str:
    """'Mieux que les territoires comparables : +2,5 %/an, contre +2,4 %/an en médiane (…)'."""
    if row is None:
        return ""
    if row.verdict == "not_comparable":
        return f"{t('peer_not_comparable')}{colon()}{t(f'peer_reason_{row.reason}', n=int(row.peer_n))}"
    figures = t(
        "peer_figures",
        own=percent_a_year(row.cagr),
        median=percent_a_year(row.peer_median_cagr),
        n=int(row.peer_n),
    )
    label = t("peer_context") if is_missing(row.verdict) else t(f"peer_{row.verdict}")
    return f"{label}{colon()}{figures}"


def peer_quartiles(row) -> str:
    """Where the middle half of the peers lie (a tooltip, and the sheet's words)."""
    if row is None or row.verdict == "not_comparable":
        return ""
    q1, q3 = (percent_a_year(v) for v in (row.peer_q1_cagr, row.peer_q3_cagr))
    return t("peer_quartiles", n=int(row.peer_n), q1=q1, q3=q3)


def peer_line(row) -> html.Div | None:
    """The peer verdict under a progress badge: symbol (hidden from screen readers) and words."""
    if row is None:
        return None
    symbol = VERDICT_SYMBOL[verdict_key(row)]
    return html.Div(
        [html.Span(symbol, **aria(hidden="true")), " ", peer_sentence(row)],
        className=f"peer-verdict peer-{verdict_key(row)}",
        title=peer_quartiles(row) or None,
    )


def policy_sentence(row, unit: str | None, name: str, label: str) -> str:
    """In words a council understands, or why there is no number."""
    if row.verdict == "not_evaluated":
        return t(f"policy_reason_{row.reason}", pre=int(row.pre_years), post=int(row.post_years))
    direction = "policy_lower" if row.effect < 0 else "policy_higher"
    return t(
        "policy_effect",
        year=int(row.start_year) - 1,
        label=label.lower() if current_lang() == "fr" else label,
        name=name,
        gap=t(direction, amount=format_value(abs(row.effect), unit)),
        as_good=int(row.as_good),
        donors=int(row.donors),
        p=format_number(row.p_value, decimals=2),
        verdict=t(f"policy_verdict_{row.verdict}"),
    )


def policy_figure(series, start_year: int, unit: str | None, names: tuple[str, str]) -> dict:
    """The territory and its synthetic control by year, with the start of the policy."""
    lines = [
        {"type": "scatter", "mode": "lines+markers", "name": name, "x": series["year"].tolist(),
         "y": series[column].round(4).tolist(), **({"line": {"dash": "dot"}} if column == "synthetic" else {})}
        for name, column in zip(names, ("actual", "synthetic"), strict=True)
    ]  # fmt: skip
    start = {"type": "line", "x0": start_year - 0.5, "x1": start_year - 0.5, "yref": "paper", "y0": 0, "y1": 1,
             "line": {"dash": "dash", "color": "#000"}}  # fmt: skip
    return chart(lines, unit_in(unit), {"dtick": 1, "tickformat": "d"}, height=320, shapes=[start])
