"""`/methode`: how progress categories, status against references and composite indices are made.

Every progress badge links here, at its category's anchor (`/methode#on_track`).
The thresholds and reasons come from `itdd.method`, the settings from the build (`progress_settings`, `peer_settings`).
"""

from __future__ import annotations

from dashboard import assessment, progress_queries, queries
from dashboard.chrome import scroll_region, shell, text
from dashboard.components import html
from dashboard.context import db
from dashboard.formatting import format_number
from dashboard.i18n import current_lang, t
from itdd import method

REASON_CODES = method.REASON_ORDER


def category_rows(categories) -> list[html.Tr]:
    labels = assessment.labels_from(categories)
    rules = {r.category: text(getattr(r, f"rule_{current_lang()}", None)) for r in categories.itertuples()}
    rows = []
    for key in (*assessment.CATEGORIES, assessment.CONTEXT):
        rule = rules.get(key) or (t("method_context") if key == assessment.CONTEXT else "")
        rows.append(
            html.Tr(
                [html.Th(assessment.badge(key, labels), scope="row"), html.Td(rule or "–")],
                id=key,
            )
        )
    return rows


def peer_settings() -> dict:
    """The build's peer settings, for the prose: how many, on what (`peer_features`)."""
    features = db().run(progress_queries.peer_features, "commune")
    used = features[features["used"]] if not features.empty else features
    words = ", ".join(
        f"{text(getattr(r, f'label_{current_lang()}', None)) or text(r.label_fr)} ({int(r.year)})"
        for r in used.itertuples()
    )
    settings = db().run(progress_queries.peer_settings)
    return {"k": settings["k"], "min_peers": settings["min_peers"], "features": words.lower() or "–"}


def progress_settings() -> dict:
    """The build's base year and status tolerance, for the prose."""
    settings = db().run(progress_queries.progress_settings)
    relative, absolute = settings["tolerance_relative"], settings["tolerance_absolute"]
    tolerance = (
        t("method_tolerance_relative", share=method.percent(relative, current_lang()))
        if relative is not None
        else t("method_tolerance_absolute", gap=format_number(absolute))
    )
    return {"base_year": settings["base_year"], "tolerance": tolerance}


def national_table(scope) -> list:
    """Which départements each national sum of the build counts (`national_scope`)."""
    if scope.empty:
        return []
    head = [t("method_col_source"), t("method_col_territory"), t("method_col_years")]
    head += [t("method_col_departements"), t("method_col_missing")]
    caption = t("method_france_table")
    rows = [
        html.Tr(
            [
                html.Td(f"{r.source_id} ({r.variable})"),
                html.Td(r.name),
                html.Td(r.years),
                html.Td(f"{r.departements} / {r.expected}"),
                html.Td(r.missing or "–"),
            ]
        )
        for r in scope.itertuples()
    ]
    table = html.Table(
        [
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(name, scope="col") for name in head])),
            html.Tbody(rows),
        ],
        className="data-table",
    )
    return [scroll_region(table, caption)]


def categories_table() -> html.Div:
    """The categories and their rules, from the build (`progress_labels`)."""
    caption = t("method_categories")
    head = html.Tr([html.Th(t("method_col_category"), scope="col"), html.Th(t("method_col_rule"), scope="col")])
    table = html.Table(
        [
            html.Caption(caption, className="sr-only"),  # the heading above says it
            html.Thead(head),
            html.Tbody(category_rows(db().run(progress_queries.progress_labels))),
        ],
        className="data-table method-table",
    )
    return scroll_region(table, caption)


def progress_sections() -> list:
    """How progress is measured: growth, with and without a target, the categories, the reasons."""
    numbers = method.thresholds(current_lang())
    return [
        html.H1(t("method_title")),
        html.P(t("method_intro")),
        html.H2(t("method_growth")),
        html.P(t("method_growth_text", **progress_settings())),
        html.H2(t("method_target")),
        html.P(t("method_target_text", **numbers)),
        html.H2(t("method_no_target")),
        html.P(t("method_no_target_text", **numbers)),
        html.H2(t("method_categories"), id="categories"),
        categories_table(),
        html.H2(t("method_reasons"), id="reasons"),
        # in words, never the codes: each reason's sentence, anchored by its code for links
        html.Ul(
            [
                html.Li(method.reason_text(code, current_lang()).capitalize(), id=f"reason-{code}")
                for code in REASON_CODES
            ]
        ),
    ]


def comparison_sections() -> list:
    """References, France's sums, composite indices, comparable territories and policies."""
    return [
        html.H2(t("method_status"), id="status"),
        html.P(t("method_status_text", **progress_settings())),
        html.H2(t("method_france"), id="france"),
        html.P(t("method_france_text")),
        *national_table(db().run(queries.national_scope)),
        html.H2(t("method_composite"), id="composite"),
        html.P(t("method_composite_text")),
        html.H2(t("method_peers"), id="peers"),
        html.P(t("method_peers_text", **peer_settings())),
        html.H2(t("method_policies"), id="policies"),
        html.P(t("method_policies_text")),
        html.P(t("method_source"), className="muted"),
    ]


def layout(**params) -> html.Div:
    return shell(params, [*progress_sections(), *comparison_sections()], "method")
