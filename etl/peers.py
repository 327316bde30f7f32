"""Comparable territories, and "better or worse than territories like us?" (issue #17).

National movements lift or sink many territories at once: a territory's trend is read
against the trends of territories like it.

- **Peers.** For each territory of `peers.levels`, the `k` nearest territories of the same
  level within the build, on the features declared in `indicators.yaml` (an indicator's
  value in a reference year, or the latest year before it that the level has; `log` for
  sizes). Each feature is standardised over the level (z-score), and weighted; the distance
  is Euclidean. A feature without any value in the build is left out for every territory,
  and `peer_features` says so; a territory missing a used feature gets no peers (never an
  imputed value). Territories are sorted by code before the search and ties broken by code:
  the groups do not depend on row order.
- **Comparison.** For every indicator with a trend (`indicator_progress.cagr`), the
  territory's compound annual growth over its assessment period against the growth of its
  peers over the same years: median and quartiles. Polarity decides: better than the
  peers' upper quartile is `better`, below the lower quartile `worse`, between `similar`.
  Fewer than `min_peers` peers with data: `not_comparable`, with the reason.
"""

from __future__ import annotations

import logging

import duckdb
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from etl.catalogue import Catalogue, PeerSettings
from itdd.model import TABLE
from itdd.sql import registered

log = logging.getLogger(__name__)

USABLE = ("ok", "incomplete")
PEERS_DDL = ";\n".join(TABLE[t].create() for t in ("territory_peers", "peer_features", "peer_settings"))


def feature_table(
    con: duckdb.DuckDBPyConnection, settings: PeerSettings
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """({level: values}, description). Each level's `values` has one row per territory (indexed
    by code) with every feature used at that level (standardised and weighted columns);
    `description` records each feature's year, whether it was used, and how many territories had it."""
    levels, described = {}, []
    for level in settings.levels:
        columns = {}
        for f in settings.features:
            year = con.execute(
                "SELECT max(year) FROM indicator_values WHERE indicator_id = ? AND level = ? AND year <= ? "
                "AND value IS NOT NULL AND status IN ('ok', 'incomplete')",
                [f.indicator, level.value, f.year],
            ).fetchone()[0]
            found = con.execute(
                "SELECT code, value FROM indicator_values WHERE indicator_id = ? AND level = ? AND year = ? "
                "AND value IS NOT NULL AND status IN ('ok', 'incomplete')",
                [f.indicator, level.value, year],
            ).df()
            values = found.set_index("code")["value"]
            if f.transform == "log":
                values = np.log(values[values > 0])
            used = len(values) > 1 and values.std(ddof=0) > 0
            described.append((level.value, f.indicator, year, f.transform, f.weight, used, len(values)))
            if used:  # z-score, weighted: each feature counts by its weight in the squared distance
                columns[f.indicator] = (values - values.mean()) / values.std(ddof=0) * np.sqrt(f.weight)
        if columns:
            levels[level.value] = pd.DataFrame(columns).dropna().sort_index()  # missing a feature: no peers
    description = pd.DataFrame(
        described, columns=["level", "indicator_id", "year", "transform", "weight", "used", "territories"]
    )
    return levels, description


def nearest(codes: list[str], matrix: np.ndarray, k: int) -> pd.DataFrame:
    """The `k` nearest other rows of each row: (code, peer_code, rank, distance), ties by code."""
    k = min(k, len(codes) - 1)
    if k < 1:
        return pd.DataFrame(columns=["code", "peer_code", "rank", "distance"])
    # One more than k, plus room for ties at the boundary, then an exact order by (distance, code).
    distances, indices = cKDTree(matrix).query(matrix, k=min(len(codes), k + 1 + k))
    found = pd.DataFrame(
        {
            "code": np.repeat(np.asarray(codes), distances.shape[1]),
            "peer_code": np.asarray(codes)[indices.ravel()],
            "distance": distances.ravel(),
        }
    )
    found = found[found["code"] != found["peer_code"]].sort_values(["code", "distance", "peer_code"])
    found["rank"] = found.groupby("code").cumcount() + 1
    return found[found["rank"] <= k][["code", "peer_code", "rank", "distance"]]


def assess_peers(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Write `territory_peers`, `peer_features` and `indicator_peer_comparison`."""
    con.execute(PEERS_DDL)
    con.execute(COMPARISON_DDL)
    settings = catalogue.peers
    if settings is None:
        return
    con.execute("INSERT INTO peer_settings VALUES (?, ?)", [settings.k, settings.min_peers])
    values, description = feature_table(con, settings)
    with registered(con, "_peer_features", description):
        con.execute("INSERT INTO peer_features SELECT * FROM _peer_features ORDER BY ALL")
    for level, frame in values.items():
        found = nearest(frame.index.tolist(), frame.to_numpy(float), settings.k).assign(level=level)
        with registered(con, "_peers", found):
            con.execute(
                "INSERT INTO territory_peers SELECT level, code, peer_code, rank, distance FROM _peers ORDER BY ALL"
            )
    _compare(con, settings)
    counts = dict(
        con.execute(
            "SELECT coalesce(verdict, 'context'), count(*) FROM indicator_peer_comparison GROUP BY 1"
        ).fetchall()
    )
    log.info("peers: %d territories with a group; comparisons %s", sum(map(len, values.values())), counts)


COMPARISON_DDL = TABLE["indicator_peer_comparison"].create()


def _compare(con: duckdb.DuckDBPyConnection, settings: PeerSettings) -> None:
    """Each assessed trend against the peers' growth over the same years (set-based, one indicator
    at a time: medians and quartiles do not spill to disk, and a national build has millions of trends)."""
    indicators = con.execute("SELECT DISTINCT indicator_id FROM indicator_progress ORDER BY 1").fetchall()
    levels = [lv.value for lv in settings.levels]
    for (indicator_id,) in indicators:
        _compare_indicator(con, indicator_id, levels, settings.min_peers)


def _compare_indicator(con: duckdb.DuckDBPyConnection, indicator_id: str, levels: list[str], min_peers: int) -> None:
    con.execute(
        f"""
        INSERT INTO indicator_peer_comparison
        WITH own AS (
            SELECT p.indicator_id, p.level, p.code, p.base_year, p.last_year, p.cagr, p.polarity,
                   EXISTS (SELECT 1 FROM territory_peers t WHERE t.level = p.level AND t.code = p.code) AS grouped
            FROM indicator_progress p
            WHERE p.indicator_id = $3 AND p.cagr IS NOT NULL AND p.last_year > p.base_year
              AND p.level IN (SELECT unnest($1))
        ),
        -- Each territory's growth once per assessment period (a handful of periods), where
        -- joining the values for every (trend, peer) pair looked each value up ten times.
        growth AS MATERIALIZED (
            SELECT p.level, b.code, p.base_year, p.last_year,
                   pow(l.value / b.value, 1.0 / (p.last_year - p.base_year)) - 1 AS cagr
            FROM (SELECT DISTINCT level, base_year, last_year FROM own) p
            JOIN indicator_values b ON b.indicator_id = $3 AND b.level = p.level AND b.year = p.base_year
            JOIN indicator_values l ON l.indicator_id = $3 AND l.level = p.level AND l.code = b.code
                 AND l.year = p.last_year
            WHERE b.status IN {USABLE} AND l.status IN {USABLE} AND b.value * l.value > 0
        ),
        peer_growth AS (
            SELECT o.level, o.code, count(g.cagr)::INTEGER AS peer_n,
                   quantile_cont(g.cagr, [0.25, 0.5, 0.75]) AS quartiles
            FROM own o JOIN territory_peers t ON t.level = o.level AND t.code = o.code
            LEFT JOIN growth g ON g.level = o.level AND g.code = t.peer_code
                 AND g.base_year = o.base_year AND g.last_year = o.last_year
            GROUP BY o.level, o.code
        ),
        summary AS (
            SELECT o.*, coalesce(g.peer_n, 0) AS peer_n, g.quartiles[2] AS med,
                   g.quartiles[1] AS q1, g.quartiles[3] AS q3
            FROM own o LEFT JOIN peer_growth g USING (level, code)
        )
        SELECT indicator_id, level, code, base_year, last_year, cagr, peer_n, med, q1, q3,
               CASE WHEN peer_n < $2 THEN 'not_comparable'
                    WHEN polarity IS NULL THEN NULL
                    WHEN (CASE polarity WHEN 'higher_is_better' THEN cagr > q3 ELSE cagr < q1 END) THEN 'better'
                    WHEN (CASE polarity WHEN 'higher_is_better' THEN cagr < q1 ELSE cagr > q3 END) THEN 'worse'
                    ELSE 'similar' END AS verdict,
               CASE WHEN NOT grouped THEN 'no_peer_group'
                    WHEN peer_n < $2 THEN 'fewer_peers_with_data'
                    WHEN polarity IS NULL THEN 'no_polarity' END AS reason
        FROM summary ORDER BY indicator_id, level, code
        """,  # noqa: S608 (fragments of code; values as parameters)
        [levels, min_peers, indicator_id],
    )
