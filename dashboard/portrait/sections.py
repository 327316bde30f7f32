"""The portrait's sections around its tables: the head (references, locator, "compare with"),
the progress summary, the comparable territories and the declared policies."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard import assessment, progress_queries, queries, urls
from dashboard.attributes import aria
from dashboard.chrome import data_table, label, scroll_region, search_box, territory_link, text
from dashboard.formatting import format_value
from dashboard.i18n import FINALITIES, colon, finality_label, t
from dashboard.peers import policy_figure, policy_sentence
from dashboard.portrait.view import Portrait


def references_line(refs: pd.DataFrame, lang: str) -> html.P | None:
    """The enclosing territories, linked."""
    if refs.empty:
        return None
    return html.P(
        [t("references", lang), colon(lang)]
        + [
            part
            for i, r in enumerate(refs.itertuples())
            for part in ([", "] if i else []) + [territory_link(r.level, r.code, r.name, lang)]
        ],
        className="references",
    )


def method_note(portrait: Portrait, lang: str) -> html.P | None:
    """How to read the positions, and the link to the method (with progress only)."""
    if portrait.progress is None:
        return None
    return html.P(
        [
            t("status_note", lang) + " " if portrait.status else "",
            dcc.Link(t("method_link", lang), href=urls.method(lang), id="method-link"),
        ],
        className="muted",
    )


def peers_section(database, level: str, code: str, name: str, lang: str) -> html.Section | None:
    """The territory's comparable territories, named and linked, and what they were chosen on."""
    features = database.rows(progress_queries.peer_features, level)
    if not features:
        return None  # peers are not computed at this level
    words = ", ".join(text(getattr(r, f"label_{lang}", None)) or text(r.label_fr) for r in features if r.used).lower()
    peers = database.run(progress_queries.territory_peers, level, code)
    if peers.empty:
        return html.Section([html.H2(t("peers_title", lang)), html.P(t("peers_none", lang, name=name, features=words))])
    scope = ", ".join(database.run(queries.level_names, "departement"))
    links = [
        part
        for i, r in enumerate(peers.itertuples())
        for part in ([", "] if i else []) + [territory_link(level, r.code, r.name, lang)]
    ]
    return html.Section(
        [
            html.H2(t("peers_title", lang)),
            html.P(t("peers_intro", lang, n=len(peers), name=name, features=words, scope=scope), className="muted"),
            html.P(links, className="peer-list"),
        ],
        id="peers",
    )


def policies_section(database, level: str, code: str, name: str, catalogue: pd.DataFrame, lang: str):
    """Each declared policy of the territory: the sentence, and the territory against its
    synthetic control with the start of the policy (chart and table)."""
    effects, series = database.run(progress_queries.policies_of, level, code)
    if effects.empty:
        return None
    rows = {r.indicator_id: r for r in catalogue.itertuples()}
    blocks: list = [html.H2(t("policy_title", lang))]
    for effect in effects.itertuples():
        row = rows.get(effect.indicator_id)
        label_text = label(row, lang) if row is not None else effect.indicator_id
        unit = text(row.unit) if row is not None else None
        blocks += [
            html.H3(f"{effect.name} — {label_text}"),
            html.P(policy_sentence(effect, unit, name, label_text, lang), className="policy-sentence"),
        ]
        own = series[(series["policy_id"] == effect.policy_id) & (series["indicator_id"] == effect.indicator_id)]
        if own.empty:
            continue
        names = (name, t("policy_synthetic", lang))
        rows_of_table = [
            [str(int(r.year)), format_value(r.actual, unit, lang), format_value(r.synthetic, unit, lang)]
            for r in own.itertuples()
        ]
        blocks += [
            dcc.Graph(
                id=f"policy-{effect.policy_id}-{effect.indicator_id}",
                figure=policy_figure(own, int(effect.start_year), unit, names, lang),
                config={"displayModeBar": False},
            ),
            data_table([t("year", lang), *names], rows_of_table, f"{effect.name} — {label_text}"),
        ]
    return html.Section(blocks, id="policies")


def summary_table(summary: pd.DataFrame, lang: str, labels: dict | None = None) -> html.Section | None:
    """Per finality, how many indicators in each category: the one-glance answer."""
    if summary.empty:
        return None
    present = set(summary["category"])
    # The judged categories, their total, then the indicators that could not be assessed: the
    # total counts only what was assessed, so the row agrees with itself.
    judged = [c for c in assessment.CATEGORIES if c in present and c != "unable_to_assess"]
    unassessed = ["unable_to_assess"] if "unable_to_assess" in present else []
    order = {f: i for i, f in enumerate(FINALITIES)}
    counts: dict[str, dict[str, int]] = {}  # finality -> category -> indicators (plain Python: once a portrait)
    for finality, category, n in zip(summary["finality"], summary["category"], summary["indicators"], strict=True):
        if not (pd.isna(finality) or pd.isna(category)):
            found = counts.setdefault(finality, {})
            found[category] = found.get(category, 0) + (0 if pd.isna(n) else n)

    def cell(n) -> html.Td:
        return html.Td("–" if pd.isna(n) or not n else str(int(n)), className="num")

    rows = []
    for finality in sorted(sorted(counts), key=lambda f: order.get(f, 99)):
        found = counts[finality]
        rows.append(
            html.Tr(
                [
                    html.Th(finality_label(text(finality), lang), scope="row"),
                    *(cell(found.get(c)) for c in judged),
                    cell(sum(0 if pd.isna(found.get(c)) else found.get(c) for c in judged)),
                    *(cell(found.get(c)) for c in unassessed),
                ]
            )
        )
    header = [html.Th(t("sheet_finality", lang), scope="col")]
    header += [html.Th(assessment.badge(c, lang, labels), scope="col") for c in judged]
    header.append(html.Th(t("summary_total", lang), scope="col"))
    header += [html.Th(assessment.badge(c, lang, labels), scope="col") for c in unassessed]
    return html.Section(
        [
            html.H2(t("summary_title", lang)),
            html.P(t("summary_intro", lang), className="muted"),
            scroll_region(
                html.Table(
                    [
                        html.Caption(t("summary_title", lang), className="sr-only"),
                        html.Thead(html.Tr(header)),
                        html.Tbody(rows),
                    ],  # fmt: skip
                    className="data-table summary-table",
                    id="progress-summary",
                ),
                t("summary_title", lang),
            ),
        ],
        className="summary",
    )


N_COMPARE_PEERS = 3


def compare_links(database, level: str, code: str, refs: pd.DataFrame, lang: str) -> html.Nav:
    """ "Comparer avec…": the enclosing territories, the first comparable ones, and a search for
    any territory (its results open the comparison)."""
    peers = database.run(progress_queries.territory_peers, level, code).head(N_COMPARE_PEERS)
    choices = [(r.level, r.code, r.name) for r in refs.itertuples() if r.code != "METRO"]
    choices += [(level, r.code, r.name) for r in peers.itertuples()]
    links = [
        html.Li(dcc.Link(other, href=compare_href(level, code, other_level, other_code, lang)))
        for other_level, other_code, other in choices
    ]
    return html.Nav(
        [
            html.H2(t("compare_with", lang), id="compare-title"),
            html.Ul(links, className="compare-choices"),
            html.Div(
                [
                    *search_box("compare-search", t("compare_search", lang), t("territory_search_placeholder", lang)),
                    html.Ul(id="compare-results", className="search-results", **aria(live="polite")),
                    dcc.Store(id="compare-from", data={"level": level, "code": code}),
                    dcc.Store(id="compare-submit"),
                    dcc.Location(id="compare-nav", refresh="callback-nav"),
                ]
            ),
        ],
        className="compare-links no-print",
        id="compare-links",
        **aria(labelledby="compare-title"),
    )


def compare_href(level: str, code: str, other_level: str, other_code: str, lang: str) -> str:
    return urls.compare((level, code), (other_level, other_code), lang)
