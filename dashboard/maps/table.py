"""The map's data table: every territory of the drawn map, sortable and paged, built from the
map's own state (`view.state_for`: one computation for the map and its table)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from dash import no_update

from dashboard import assessment, figures, urls
from dashboard.components import dcc, html
from dashboard.formatting import change_since, format_value
from dashboard.i18n import t
from dashboard.inputs import has_types
from dashboard.maps.view import VIEW_TYPES, MapView, resolve, state_for
from dashboard.search import normalise

PAGE_SIZE = 20
SORT_COLUMNS = ("name", "value", "rank", "change")
# The best first (largest for context indicators).
DEFAULT_TABLE: dict[str, Any] = {"sort": "rank", "desc": False, "page": 0}
TABLE_TYPES = {"sort": (str,), "desc": (bool,), "page": (int,)}
OUTPUTS = {  # the table callback's outputs, by name: (component id, property)
    "rows": ("map-table-body", "children"),
    "pager": ("table-page", "children"),
    "table": ("table-state", "data"),
    "caption": ("map-table-caption", "children"),
}
NO_TABLE = dict.fromkeys(OUTPUTS, no_update)


def table_rows(
    state: dict, view: MapView, sort: str, descending: bool, page: int, page_size: int = PAGE_SIZE
) -> tuple[list, int, int]:
    """Table body rows for one page, the page number (clamped) and the number of pages."""
    df = state["ranked"].copy()
    df["change_value"] = (df["value"] / df["prev_value"] - 1).where(df["prev_value"] > 0)
    key = {"name": "name", "value": "value", "rank": "rank", "change": "change_value"}.get(sort, "value")
    df = df.sort_values(key, ascending=not descending, na_position="last", key=_sort_key(key))
    pages = max(1, math.ceil(len(df) / page_size))
    page = min(max(0, page), pages - 1)
    # One category for all (a context indicator): its words, without a badge per row.
    uniform = "category" in df.columns and df["category"].nunique(dropna=False) == 1
    shown = df.iloc[page * page_size : (page + 1) * page_size]
    return [_row(r, df, uniform, view) for r in shown.itertuples()], page, pages


def _row(r, df: pd.DataFrame, uniform: bool, view: MapView) -> html.Tr:
    status = {"incomplete": "*", "secret": t("secret"), "missing": t("missing")}.get(r.status, "")
    return html.Tr(
        [
            html.Th(dcc.Link(r.name, href=urls.portrait(view.level, r.code)), scope="row"),
            html.Td(r.code),
            html.Td(format_value(r.value, view.unit, view.decimals, fixed=True)),
            html.Td("–" if pd.isna(r.rank) else int(r.rank)),
            html.Td(change_since(r.prev_value, r.value, view.unit)),
            html.Td(status),
            html.Td(_progress_cell(r, df, uniform), className="progress"),
        ]
    )


def _progress_cell(row, df: pd.DataFrame, uniform: bool):
    if "category" not in df.columns:
        return "–"
    if uniform:
        return assessment.category_label(assessment.category_key(row.category))
    return assessment.badge(row.category)


def _sort_key(column: str):
    return (lambda names: names.map(normalise)) if column == "name" else None


def table_header() -> html.Thead:
    def sortable(column: str, key: str) -> html.Th:
        return html.Th(
            html.Button(
                t(column),
                id={"type": "sort", "col": key},
                className="sort",
                title=t("sort_by", column=t(column)),
            ),
            scope="col",
        )

    return html.Thead(
        html.Tr(
            [
                sortable("col_name", "name"),
                html.Th(t("col_code"), scope="col"),
                sortable("col_value", "value"),
                sortable("col_rank", "rank"),
                sortable("col_change", "change"),
                html.Th(t("col_status"), scope="col"),
                html.Th(t("progress"), scope="col"),
            ]
        )
    )


def table_caption(caption: str, view: MapView) -> str:
    """The map's caption, and what rank 1 means."""
    return f"{caption} ({figures.rank_direction(view.polarity)})"


def next_table(trigger, table) -> dict | None:
    """The table's sort and page after `trigger`: a column's button (a second click reverses; a
    first sorts names A-Z, ranks best first, values largest first), previous, next, or a new
    view (back to page 1). None for a column that does not exist."""
    table = dict(table) if has_types(table, TABLE_TYPES) and table["sort"] in SORT_COLUMNS else dict(DEFAULT_TABLE)
    if isinstance(trigger, dict):
        column = trigger.get("col")
        if column not in SORT_COLUMNS:
            return None
        table["desc"] = not table["desc"] if table["sort"] == column else column in ("value", "change")
        table["sort"], table["page"] = column, 0
    elif trigger in ("table-prev", "table-next"):
        table["page"] += -1 if trigger == "table-prev" else 1
    else:
        table["page"] = 0
    return table


def table_update(database, trigger, view, table, caption) -> dict:
    """The table callback's outputs by name (`OUTPUTS`), or `NO_TABLE`.

    The view is resolved again from the database, so a forged one only gives `NO_TABLE`;
    `caption(view)` is the map's caption of a view.
    """
    if not has_types(view, VIEW_TYPES):
        return NO_TABLE
    resolved = resolve(database, view["indicator"], view["level"], view["year"], view["classes"], view["colour"])
    table = next_table(trigger, table)
    if not isinstance(resolved, MapView) or table is None:
        return NO_TABLE
    state = state_for(database, resolved)
    rows, table["page"], pages = table_rows(state, resolved, table["sort"], table["desc"], table["page"])
    return {
        "rows": rows,
        "pager": t("page_of", page=table["page"] + 1, pages=pages),
        "table": table,
        "caption": table_caption(caption(resolved), resolved),
    }
