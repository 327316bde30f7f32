"""The indicator sheet's definition list (`/indicateur/<id>`, `dashboard/pages/indicateur.py`):
definition, formula in words, unit, polarity, finality, SDGs, levels, sources, limits, target."""

from __future__ import annotations

import pandas as pd

from dashboard.chrome import source_item, text
from dashboard.components import html
from dashboard.formatting import format_number, format_value
from dashboard.i18n import current_lang, finality_label, labelled, t, unit_in


def definition_list(row, meta: dict, sources: pd.DataFrame, labels: dict[str, str]) -> html.Dl:
    definition = text(getattr(row, f"definition_{current_lang()}", None)) or text(row.definition_fr)
    polarity = text(row.polarity)
    sdg = meta.get("sdg") or []
    target = meta.get("target")
    entries = [
        ("sheet_definition", definition or "–"),
        ("sheet_formula", formula(meta, sources, labels)),
        ("sheet_unit", unit_in(text(row.unit)) or "–"),
        ("sheet_polarity", t(f"polarity_{polarity}" if polarity else "polarity_none")),
        ("sheet_finality", finality_label(text(row.finality))),
        ("sheet_sdg", ", ".join(f"ODD {s}" if current_lang() == "fr" else f"SDG {s}" for s in sdg) or "–"),
        ("sheet_levels", ", ".join(t(f"level_{lv}") for lv in text(row.levels).split(",") if lv)),
        ("sheet_source", sources_block(text(row.sources), sources)),
        ("sheet_limits", (meta.get("limits") or {}).get(current_lang()) or text(row.limits_fr) or "–"),
    ]
    if isinstance(target, dict) and target.get("value") is not None:
        entries.append(("sheet_target", f"{format_value(target['value'], text(row.unit))} ({target.get('year', '')})"))
    items = []
    for key, value in entries:
        items += [html.Dt(t(key)), html.Dd(value)]
    return html.Dl(items, className="sheet")


def formula(meta: dict, sources: pd.DataFrame, labels: dict[str, str]) -> list:
    """How the indicator is made, in words: the kind, each series with its producer and
    edition, or a composite's components with their weights (`labels`: indicator id -> label)."""
    named = {r.source_id: r for r in sources.itertuples()}

    def series(part: list | dict | None) -> str:
        """A series: one {source, variable}, or several (editions in separate files)."""
        refs = [part] if isinstance(part, dict) else part or []
        return " ; ".join(f"{r.get('variable')} ({_source_words(named.get(r.get('source')))})" for r in refs) or "–"

    items = [html.Li(t(f"kind_{meta['kind']}"))] if meta.get("kind") else []
    several = any(isinstance(meta.get(k), list) and len(meta[k]) > 1 for k in ("variable", "numerator", "denominator"))
    if meta.get("numerator") or meta.get("denominator"):
        items += [
            html.Li(labelled("sheet_numerator", series(meta.get("numerator")))),
            html.Li(labelled("sheet_denominator", series(meta.get("denominator")))),
        ]
    elif meta.get("variable"):
        items.append(html.Li(labelled("sheet_variable", series(meta.get("variable")))))
    for part in meta.get("components") or []:
        weight = format_number(part.get("weight", 1), decimals=2)
        items.append(html.Li(t("sheet_component", label=labels.get(part["id"], part["id"]), weight=weight)))
    if items and meta.get("scale") not in (None, 1, 1.0):
        items.append(html.Li(f"× {format_number(meta['scale'], decimals=6)}"))
    if several:  # the series are stored newest edition first (etl.catalogue.Catalogue.newest_first)
        items.append(html.Li(t("sheet_newest_wins")))
    return [html.Ul(items)] if items else ["–"]


def _source_words(row) -> str:
    """'INSEE, édition 2022-06' for a row of the sources table."""
    if row is None:
        return t("sheet_not_built")
    edition = f", {t('sheet_edition')} {row.edition}" if text(row.edition) else ""
    return f"{text(row.producer)}{edition}"


def sources_block(source_ids: str, sources: pd.DataFrame) -> list:
    wanted = [s.strip() for s in source_ids.split(",") if s.strip()]
    items = []
    for r in sources[sources["source_id"].isin(wanted)].itertuples():
        notes: list = [f" — {labelled('sheet_edition', r.edition)}"] if text(r.edition) else []
        # the download date, said as such: a 2018 census fetched today is not "updated" today
        fetched = text(r.fetched_at)[:10]
        notes.append(f" — {labelled('sheet_fetched', fetched) if fetched else t('sheet_not_built')}")
        if r.verified is False:
            notes.append(html.Span(f" — {t('sheet_unverified')}", className="unverified"))
        items.append(html.Li([*source_item(r), *notes]))
    return [html.Ul(items)] if items else ["–"]
