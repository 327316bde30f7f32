"""Progress: is a territory getting better on an indicator, how fast, how far from its
target, and how does it stand against its references?

The method is Statistics Canada's, as documented by Open SDG (docs/progress-methodology.md):

- observed growth between the base year and the last year with a usable value:
  `CAGR = (y_last / y_base) ** (1 / (t_last - t_base)) - 1`, signed by polarity (and by
  the sign of the values, so that a negative series moving towards zero counts right);
- with a target: `R = signed CAGR / |CAGR_T|`, where `CAGR_T` is the growth needed to go
  from the base value to the target on time; R from `TARGET_THRESHOLDS[0]` on track, from
  `TARGET_THRESHOLDS[1]` acceleration needed, >= 0 limited progress, < 0 deterioration; a
  last value at or beyond the target is `target_achieved`;
- without a target: signed CAGR from `NO_TARGET_THRESHOLDS[0]` a year on track, from
  `NO_TARGET_THRESHOLDS[1]` acceleration needed, >= 0 limited progress, < 0 deterioration;
  near a natural limit the positive thresholds are multiplied by `limit_coefficient`;
  the thresholds, categories and reasons are declared once, in `itdd.method`;
- `unable_to_assess`, with a reason, rather than a guess.

Decisions (README, "Progress"):

- usable points are `ok` and `incomplete` values; an `incomplete` base or last value is
  used but flagged (`incomplete_values` in `reason`, and `incomplete_points`);
- the base year is the first year with a usable value from `base_year` on (2015 by
  default, per indicator in `progress.base_year`);
- a relative target resolves per territory from its own reference value; when that
  value is absent the indicator is assessed without its target and `reason` says so;
- indicators that are themselves rates of change (`kind: change_rate`) take values of
  both signs: the exponential model does not apply to them (Open SDG asks to assess the
  underlying level instead), so they are not assessed;
- context indicators (no polarity) get their growth and no category.

`indicator_status` compares each value with its references (the enclosing territories
in `territory_links`), and `progress_summary` counts categories per finality.

This module is the DuckDB stage; the method itself, pure, is `etl/progress_method.py`.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from etl.catalogue import Catalogue
from etl.composite import ensure_tables as ensure_composite_tables
from etl.progress_method import (  # noqa: F401 (the method, re-exported for its callers)
    CATEGORIES,
    OUTPUT_COLUMNS,
    assess,
    assess_frame,
    assess_summary,
    limit_coefficient,
    rule_for,
    rules_frame,
    series_summary,
    tolerance_for,
)
from itdd.method import CATEGORY_LIST, REASON_LIST, status_select
from itdd.model import TABLE
from itdd.sql import insert_frame, literal, registered

log = logging.getLogger(__name__)


PROGRESS_DDL = TABLE["indicator_progress"].create()


def assess_progress(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Write `indicator_progress`, `indicator_status`, `progress_summary` and `progress_categories`."""
    ensure_composite_tables(con)  # present even when the catalogue has no composite
    rules = rules_frame({i.id: rule_for(i, catalogue) for i in catalogue.indicators})
    con.execute(PROGRESS_DDL)
    # One indicator at a time (memory bounded by the largest, not the sum), in id order: each
    # comes sorted, so the table is written in key order without sorting it again.
    for indicator_id in sorted(rules.index):
        rule = rules.loc[[indicator_id]]
        with registered(con, "_rule", rule.reset_index()) as rule_view:
            points = f"(SELECT * FROM indicator_values WHERE indicator_id = {literal(indicator_id)})"  # noqa: S608 (a literal)
            assessed = assess_summary(series_summary(con, points, rule_view), rule)
        insert_frame(con, "indicator_progress", assessed)
    _status(con, catalogue)
    _summary(con, catalogue)
    _categories(con)
    counts = dict(
        con.execute("SELECT coalesce(category, 'context'), count(*) FROM indicator_progress GROUP BY 1").fetchall()
    )
    log.info("progress: %s", counts)


def _status(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """`indicator_status`: each value against the same indicator, same year, in every enclosing
    territory, as a view over `status_settings`.

    Counts (they grow with the territory's size) and composites (scaled within their own
    level) are left out. `similar` means within the indicator's tolerance (5 % of the
    reference by default). A view, not a table: stored, it is every value times its
    references (46 M rows, 40 s of a national build), and its readers want one territory's
    rows. Its SELECT is `itdd.method.status_select`, which a portrait runs over the values it
    has read."""
    settings = pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "polarity": i.polarity,
                "levels": [lv.value for lv in i.levels],
                "tolerance_relative": tolerance_for(i, catalogue).relative,
                "tolerance_absolute": tolerance_for(i, catalogue).absolute,
            }
            for i in catalogue.indicators
            # a commune's count against the département's is no comparison, and a composite
            # is scaled within its own level
            if i.kind not in ("count", "composite")
        ]
    )
    con.execute(TABLE["status_settings"].create())
    insert_frame(con, "status_settings", settings)
    con.execute(f"CREATE OR REPLACE VIEW indicator_status AS {status_select()}")


def _summary(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Per territory and finality, how many indicators fall in each category."""
    finalities = pd.DataFrame([{"indicator_id": i.id, "finality": i.finality.value} for i in catalogue.indicators])
    with registered(con, "_finalities", finalities):
        con.execute("""
            CREATE OR REPLACE TABLE progress_summary AS
            SELECT p.level, p.code, f.finality, p.category, count(*)::INTEGER AS indicators,
                   list(p.indicator_id ORDER BY p.indicator_id) AS indicator_ids
            FROM indicator_progress p JOIN _finalities f USING (indicator_id)
            WHERE p.category IS NOT NULL
            GROUP BY ALL ORDER BY ALL
        """)


# The method in words, as stored in progress_categories and progress_reasons (itdd.method).
CATEGORY_TEXT = {c.code: (c.fr, c.en, c.rule_fr, c.rule_en) for c in CATEGORY_LIST}  # label fr, en; rule fr, en
REASONS = {r.code: r.meaning for r in REASON_LIST}


def _categories(con: duckdb.DuckDBPyConnection) -> None:
    """The method in words, for the legend and for every badge to link to."""
    rows = [
        {"category": c, "rank": n, "label_fr": fr, "label_en": en, "rule_fr": rule_fr, "rule_en": rule_en}
        for n, (c, (fr, en, rule_fr, rule_en)) in enumerate(CATEGORY_TEXT.items())
    ]
    with registered(con, "_categories_df", pd.DataFrame(rows)):
        con.execute("CREATE OR REPLACE TABLE progress_categories AS SELECT * FROM _categories_df ORDER BY rank")
    reasons = pd.DataFrame([{"reason": k, "meaning_en": v} for k, v in REASONS.items()])
    with registered(con, "_reasons_df", reasons):
        con.execute("CREATE OR REPLACE TABLE progress_reasons AS SELECT * FROM _reasons_df")
