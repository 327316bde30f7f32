"""The national-size input of the value stages, for `benchmark.py --scale national` (SYNTHETIC).

The synthetic producer files (tests/producer_files.py) give the referential and the census
comparator only: about 14 indicators over 6 years at national size. The stages whose cost grows
with the number of values (indicators, gaps, progress, peers, policies) are measured here on
what #14 sets as the national size: every commune of a built national database, every series
of the catalogue, 10 years, about 11 M values. The observations are made up in SQL from a
hash of (code, variable), deterministic, and named SYNTHETIC in the report; nothing here is
real data.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.catalogue import Catalogue  # noqa: E402
from etl.catalogue_reader import load_catalogue  # noqa: E402
from etl.paths import default_catalogue  # noqa: E402

YEARS = range(2012, 2022)
SECRET_ONE_IN = 50  # a withheld value now and then, as in Filosofi


def series_heads(catalogue: Catalogue) -> list[tuple[str, str, int]]:
    """(source, variable, magnitude) for the first edition of every series an indicator reads;
    a denominator is made 20 times its numerator's size so that ratios stay plausible."""
    heads = {}
    for indicator in catalogue.indicators:
        for series, magnitude in ((indicator.variable, 1), (indicator.numerator, 1), (indicator.denominator, 20)):
            if series:
                key = (series[0].source, series[0].variable)
                heads[key] = max(magnitude, heads.get(key, 0))
    return [(source, variable, magnitude) for (source, variable), magnitude in sorted(heads.items())]


def densify(db: Path, catalogue: Catalogue) -> int:
    """Replace the harmonised commune observations (`obs`) of `db` (a built national database) by SYNTHETIC ones:
    every series head × every commune × YEARS; legal populations and areas stay as built.
    Returns the number of observations written."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TEMP TABLE heads (source_id VARCHAR, variable VARCHAR, magnitude INTEGER)")
        con.executemany("INSERT INTO heads VALUES (?, ?, ?)", series_heads(catalogue))
        con.execute(
            """DELETE FROM obs o WHERE level = 'commune' AND EXISTS (
                   SELECT 1 FROM heads h WHERE h.source_id = o.source_id AND h.variable = o.variable)
                 AND o.source_id NOT LIKE 'insee_populations_legales%' AND o.source_id <> 'geo_api_communes'"""
        )
        before = con.execute("SELECT count(*) FROM obs").fetchone()[0]
        con.execute(
            f"""INSERT INTO obs
            WITH grid AS (
                SELECT h.source_id, h.variable, h.magnitude, t.code, y.year,
                       (hash(t.code || h.variable) % 1000000000)::BIGINT AS seed
                FROM heads h
                CROSS JOIN (SELECT code FROM territories WHERE level = 'commune') t
                CROSS JOIN (SELECT unnest(range({YEARS.start}, {YEARS.stop})) AS year) y
                WHERE NOT (h.source_id LIKE 'insee_populations_legales%' OR h.source_id = 'geo_api_communes')
            )
            SELECT source_id, variable, 'commune', code, year,
                   CASE WHEN seed % {SECRET_ONE_IN} = 0 THEN NULL
                        ELSE magnitude * (10 + seed % 990) * (1 + ((seed // 1000) % 41 - 20) / 1000.0 * (year - 2012))
                   END,
                   CASE WHEN seed % {SECRET_ONE_IN} = 0 THEN 'secret' ELSE 'ok' END
            FROM grid"""  # noqa: S608 (constants of this module)
        )
        return con.execute("SELECT count(*) FROM obs").fetchone()[0] - before


STAGES = ("indicators", "gaps", "progress", "peers", "policies")


def run_stages(db: Path) -> dict:
    """Recompute the value stages on `db` in this process: seconds per stage, values, peak RSS (MiB)."""
    from etl.indicators import compute_indicators, record_gaps
    from etl.peers import assess_peers
    from etl.policy import evaluate_policies
    from etl.progress import assess_progress

    catalogue = load_catalogue(default_catalogue())
    calls = {
        "indicators": lambda con: compute_indicators(con, catalogue),
        "gaps": lambda con: record_gaps(con, catalogue),
        "progress": lambda con: assess_progress(con, catalogue),
        "peers": lambda con: assess_peers(con, catalogue),
        "policies": lambda con: evaluate_policies(con, None),
    }
    from etl.build import open_build

    seconds = {}
    with open_build(db) as con:
        for stage in STAGES:
            started = time.perf_counter()
            calls[stage](con)
            seconds[stage] = time.perf_counter() - started
        values = con.execute("SELECT count(*) FROM indicator_values").fetchone()[0]
    from bench.builds import high_water_kib  # not ru_maxrss, which starts at the parent's peak

    peak = high_water_kib(Path("/proc/self/status").read_text()) / 1024
    return {"seconds": seconds, "values": values, "peak_mib": peak}


if __name__ == "__main__":  # python scripts/national_scale.py DB: the stages, as JSON, for a child process
    import json

    print(json.dumps(run_stages(Path(sys.argv[1]))))
