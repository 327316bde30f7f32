"""The portrait's sections around its tables: the head (references, locator, "compare with"),
the progress summary, the comparable territories and the declared policies."""

from __future__ import annotations

import pandas as pd

from dashboard import assessment, progress_queries, queries, urls
from dashboard.attributes import aria
from dashboard.chrome import data_table, label, scroll_region, search_box, territory_link, text
from dashboard.components import dcc, html
from dashboard.formatting import format_value
from dashboard.i18n import FINALITIES, colon, current_lang, finality_label, t
from dashboard.peers import policy_figure, policy_sentence
from dashboard.portrait.view import Portrait


def references_line(refs: list) -> html.P | None:
    """The enclosing territories (their rows), linked."""
    if not refs:
        return None
    return html.P(
        [t("references"), colon()]
        + [
            part
            for i, r in enumerate(refs)
            for part in ([", "] if i else []) + [territory_link(r.level, r.code, r.name)]
        ],
        className="references",
    )


def method_note(portrait: Portrait) -> html.P | None:
    """How to read the positions, and the link to the method (with progress only)."""
    if portrait.progress is None:
        return None
    return html.P(
        [
            t("status_note") + " " if portrait.status else "",
            dcc.Link(t("method_link"), href=urls.method(), id="method-link"),
        ],
        className="muted",
    )


def peers_section(database, level: str, code: str, name: str) -> html.Section | None:
    """The territory's comparable territories, named and linked, and what they were chosen on."""
    features = database.rows(progress_queries.peer_features, level)
    if not features:
        return None  # peers are not computed at this level
    words = ", ".join(
        text(getattr(r, f"label_{current_lang()}", None)) or text(r.label_fr) for r in features if r.used
    ).lower()
    peers = database.run(progress_queries.territory_peers, level, code)
    if peers.empty:
        return html.Section([html.H2(t("peers_title")), html.P(t("peers_none", name=name, features=words))])
    scope = ", ".join(database.run(queries.level_names, "departement"))
    links = [
        part
        for i, (peer, peer_name) in enumerate(zip(peers["code"], peers["name"], strict=True))
        for part in ([", "] if i else []) + [territory_link(level, peer, peer_name)]
    ]
    return html.Section(
        [
            html.H2(t("peers_title")),
            html.P(t("peers_intro", n=len(peers), name=name, features=words, scope=scope), className="muted"),
            html.P(links, className="peer-list"),
        ],
        id="peers",
    )


def policies_section(database, level: str, code: str, name: str, catalogue: list):
    """Each declared policy of the territory: the sentence, and the territory against its
    synthetic control with the start of the policy (chart and table)."""
    effects, series = database.run(progress_queries.policies_of, level, code)
    if effects.empty:
        return None
    rows = {r.indicator_id: r for r in catalogue}
    blocks: list = [html.H2(t("policy_title"))]
    for effect in effects.itertuples():
        row = rows.get(effect.indicator_id)
        label_text = label(row) if row is not None else effect.indicator_id
        unit = text(row.unit) if row is not None else None
        blocks += [
            html.H3(f"{effect.name} — {label_text}"),
            html.P(policy_sentence(effect, unit, name, label_text), className="policy-sentence"),
        ]
        own = series[(series["policy_id"] == effect.policy_id) & (series["indicator_id"] == effect.indicator_id)]
        if own.empty:
            continue
        names = (name, t("policy_synthetic"))
        rows_of_table = [
            [str(int(r.year)), format_value(r.actual, unit), format_value(r.synthetic, unit)] for r in own.itertuples()
        ]
        blocks += [
            dcc.Graph(
                id=f"policy-{effect.policy_id}-{effect.indicator_id}",
                figure=policy_figure(own, int(effect.start_year), unit, names),
                config={"displayModeBar": False},
            ),
            data_table([t("year"), *names], rows_of_table, f"{effect.name} — {label_text}"),
        ]
    return html.Section(blocks, id="policies")


def summary_table(summary: pd.DataFrame, labels: dict | None = None) -> html.Section | None:
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
                    html.Th(finality_label(text(finality)), scope="row"),
                    *(cell(found.get(c)) for c in judged),
                    cell(sum(0 if pd.isna(found.get(c)) else found.get(c) for c in judged)),
                    *(cell(found.get(c)) for c in unassessed),
                ]
            )
        )
    header = [html.Th(t("sheet_finality"), scope="col")]
    header += [html.Th(assessment.badge(c, labels), scope="col") for c in judged]
    header.append(html.Th(t("summary_total"), scope="col"))
    header += [html.Th(assessment.badge(c, labels), scope="col") for c in unassessed]
    return html.Section(
        [
            html.H2(t("summary_title")),
            html.P(t("summary_intro"), className="muted"),
            scroll_region(
                html.Table(
                    [
                        html.Caption(t("summary_title"), className="sr-only"),
                        html.Thead(html.Tr(header)),
                        html.Tbody(rows),
                    ],  # fmt: skip
                    className="data-table summary-table",
                    id="progress-summary",
                ),
                t("summary_title"),
            ),
        ],
        className="summary",
    )


N_COMPARE_PEERS = 3


def compare_links(database, level: str, code: str, refs: list) -> html.Nav | None:
    """ "Comparer avec…": the enclosing territories, the first comparable ones, and a search for
    any territory (its results open the comparison); None for the static site, which has no
    comparison pages."""
    if database.static:
        return None
    peers = database.run(progress_queries.territory_peers, level, code).head(N_COMPARE_PEERS)
    choices = [(r.level, r.code, r.name) for r in refs if r.code != "METRO"]
    choices += [(level, r.code, r.name) for r in peers.itertuples()]
    links = [
        html.Li(dcc.Link(other, href=compare_href(level, code, other_level, other_code)))
        for other_level, other_code, other in choices
    ]
    return html.Nav(
        [
            html.H2(t("compare_with"), id="compare-title"),
            html.Ul(links, className="compare-choices"),
            html.Div(
                [
                    *search_box("compare-search", t("compare_search"), t("territory_search_placeholder")),
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


def compare_href(level: str, code: str, other_level: str, other_code: str) -> str:
    return urls.compare((level, code), (other_level, other_code))
