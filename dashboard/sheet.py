"""The indicator sheet's definition list (`/indicateur/<id>`, `dashboard/pages/indicateur.py`):
definition, formula in words, unit, polarity, finality, SDGs, levels, sources, limits, target."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.chrome import source_item, text
from dashboard.formatting import format_number, format_value
from dashboard.i18n import finality_label, labelled, t, unit_in


def definition_list(row, meta: dict, sources: pd.DataFrame, labels: dict[str, str], lang: str) -> html.Dl:
    definition = text(getattr(row, f"definition_{lang}", None)) or text(row.definition_fr)
    polarity = text(row.polarity)
    sdg = meta.get("sdg") or []
    target = meta.get("target")
    entries = [
        ("sheet_definition", definition or "–"),
        ("sheet_formula", formula(meta, lang, sources, labels)),
        ("sheet_unit", unit_in(text(row.unit), lang) or "–"),
        ("sheet_polarity", t(f"polarity_{polarity}" if polarity else "polarity_none", lang)),
        ("sheet_finality", finality_label(text(row.finality), lang)),
        ("sheet_sdg", ", ".join(f"ODD {s}" if lang == "fr" else f"SDG {s}" for s in sdg) or "–"),
        ("sheet_levels", ", ".join(t(f"level_{lv}", lang) for lv in text(row.levels).split(",") if lv)),
        ("sheet_source", sources_block(text(row.sources), sources, lang)),
        ("sheet_limits", (meta.get("limits") or {}).get(lang) or text(row.limits_fr) or "–"),
    ]
    if isinstance(target, dict) and target.get("value") is not None:
        entries.append(
            ("sheet_target", f"{format_value(target['value'], text(row.unit), lang)} ({target.get('year', '')})")
        )
    items = []
    for key, value in entries:
        items += [html.Dt(t(key, lang)), html.Dd(value)]
    return html.Dl(items, className="sheet")


def formula(meta: dict, lang: str, sources: pd.DataFrame, labels: dict[str, str]) -> list:
    """How the indicator is made, in words: the kind, each series with its producer and
    edition, or a composite's components with their weights (`labels`: indicator id -> label)."""
    named = {r.source_id: r for r in sources.itertuples()}

    def series(part: list | dict | None) -> str:
        """A series: one {source, variable}, or several (editions in separate files)."""
        refs = [part] if isinstance(part, dict) else part or []
        return (
            " ; ".join(f"{r.get('variable')} ({_source_words(named.get(r.get('source')), lang)})" for r in refs) or "–"
        )

    items = [html.Li(t(f"kind_{meta['kind']}", lang))] if meta.get("kind") else []
    several = any(isinstance(meta.get(k), list) and len(meta[k]) > 1 for k in ("variable", "numerator", "denominator"))
    if meta.get("numerator") or meta.get("denominator"):
        items += [
            html.Li(labelled("sheet_numerator", series(meta.get("numerator")), lang)),
            html.Li(labelled("sheet_denominator", series(meta.get("denominator")), lang)),
        ]
    elif meta.get("variable"):
        items.append(html.Li(labelled("sheet_variable", series(meta.get("variable")), lang)))
    for part in meta.get("components") or []:
        weight = format_number(part.get("weight", 1), lang, decimals=2)
        items.append(html.Li(t("sheet_component", lang, label=labels.get(part["id"], part["id"]), weight=weight)))
    if items and meta.get("scale") not in (None, 1, 1.0):
        items.append(html.Li(f"× {format_number(meta['scale'], lang, decimals=6)}"))
    if several:  # the series are stored newest edition first (etl.catalogue.Catalogue.newest_first)
        items.append(html.Li(t("sheet_newest_wins", lang)))
    return [html.Ul(items)] if items else ["–"]


def _source_words(row, lang: str) -> str:
    """'INSEE, édition 2022-06' for a row of the sources table."""
    if row is None:
        return t("sheet_not_built", lang)
    edition = f", {t('sheet_edition', lang)} {row.edition}" if text(row.edition) else ""
    return f"{text(row.producer)}{edition}"


def sources_block(source_ids: str, sources: pd.DataFrame, lang: str) -> list:
    wanted = [s.strip() for s in source_ids.split(",") if s.strip()]
    items = []
    for r in sources[sources["source_id"].isin(wanted)].itertuples():
        notes: list = [f" — {labelled('sheet_edition', r.edition, lang)}"] if text(r.edition) else []
        # the download date, said as such: a 2018 census fetched today is not "updated" today
        fetched = text(r.fetched_at)[:10]
        notes.append(f" — {labelled('sheet_fetched', fetched, lang) if fetched else t('sheet_not_built', lang)}")
        if r.verified is False:
            notes.append(html.Span(f" — {t('sheet_unverified', lang)}", className="unverified"))
        items.append(html.Li([*source_item(r, lang), *notes]))
    return [html.Ul(items)] if items else ["–"]
