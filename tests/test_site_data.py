"""The static site's batched reads (issue #14): one query per kind of data for a batch of
portraits gives each territory exactly what its own queries give (values, order, dtypes)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard import database, progress_queries, queries
from dashboard.pages import indicateur
from dashboard.site_data import FrozenDatabase


@pytest.fixture(scope="module")
def databases(offline_db: Path):
    plain = database.Database(offline_db)
    frozen = FrozenDatabase(offline_db).pinned()
    territories = plain.run(queries.list_territories)
    # every level above the commune, and one commune in twenty-five, and Bordeaux
    chosen = territories[(territories["level"] != "commune") | (territories.index % 25 == 0)]
    keys = [*zip(chosen["level"], chosen["code"], strict=True), ("commune", "33063")]
    frozen.prefetch(keys)
    yield plain, frozen, keys
    frozen.release()


def _same(a, b) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, dict):  # peer comparisons: rows by indicator (their index aside)
        assert {k: repr(tuple(v)[1:]) for k, v in a.items()} == {k: repr(tuple(v)[1:]) for k, v in b.items()}
    elif isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert a == b


def test_a_batch_gives_each_territory_what_its_own_queries_give(databases) -> None:
    plain, frozen, keys = databases
    assert len(keys) > 40
    for level, code in keys:
        refs = plain.run(queries.reference_territories, level, code)
        drawn = [(level, code), *zip(refs["level"], refs["code"], strict=True)]
        calls = [
            (queries.territory_values, (drawn,)), (queries.territory_values, ([(level, code)],)),
            (queries.territories_series, (drawn,)),
            (progress_queries.progress_rows, (level, code)), (progress_queries.progress_summary, (level, code)),
            (progress_queries.peer_comparisons, (level, code)), (progress_queries.territory_peers, (level, code)),
            (progress_queries.policies_of, (level, code)), (queries.reference_territories, (level, code)),
        ] + ([(queries.epci_neighbours, (code,))] if level == "commune" else [])  # fmt: skip
        for query, args in calls:
            assert frozen._from_batch(query, args) is not None, (query.__name__, args)  # read from the batch
            _same(plain.run(query, *args), frozen.run(query, *args))
        values = plain.run(queries.territory_values, drawn)  # positions: computed from the values given
        assert frozen._from_batch(progress_queries.positions, (values, level, code)) is not None
        _same(plain.run(progress_queries.positions, values, level, code),
              frozen.run(progress_queries.positions, frozen.run(queries.territory_values, drawn), level, code))  # fmt: skip


def test_the_trends_of_every_indicator_at_once_are_each_indicator_s_own(databases) -> None:
    """The site derives a portrait's trend rows for all indicators from one read; the app, one."""
    plain, frozen, keys = databases
    indicators = plain.run(queries.catalogue)["indicator_id"].tolist()
    for level, code in keys[::4]:
        drawn = indicateur.drawn_territories(plain, (f"{level}:{code}",))
        every = indicateur.trend_rows(frozen, drawn)
        assert every, (level, code)
        for indicator_id in indicators:
            own = indicateur.trend_rows(plain, drawn, indicator_id)
            assert repr(every.get(indicator_id)) == repr(own.get(indicator_id)), (level, code, indicator_id)


def test_a_territory_s_progress_for_one_indicator_is_that_indicator_s_own_query(databases) -> None:
    """Indicator pages read their territories' progress from one read of each territory's rows."""
    plain, frozen, keys = databases
    indicators = [*plain.run(queries.catalogue)["indicator_id"].tolist(), "not_an_indicator"]
    for level, code in keys[::3]:
        for indicator_id in indicators:
            args = (level, code, indicator_id)
            _same(plain.run(progress_queries.progress_rows, *args), frozen.run(progress_queries.progress_rows, *args))


def test_a_batched_territory_is_not_read_from_the_file_again(databases, monkeypatch) -> None:
    """`run` serves the batch first, queries of a list of territories included."""
    _, frozen, keys = databases
    monkeypatch.setattr(database.Database, "run", lambda *args: pytest.fail(f"read from the file: {args[1:]}"))
    territory = keys[-1]
    assert not frozen.run(queries.territory_values, [territory]).empty
    assert not frozen.run(queries.territories_series, [territory]).empty
    assert not frozen.run(progress_queries.progress_rows, *territory).empty


def test_a_territory_outside_the_batch_is_read_from_the_file(databases) -> None:
    plain, frozen, keys = databases
    outside = next(
        (lv, c) for lv, c in plain.run(queries.list_territories)[["level", "code"]].itertuples(index=False)
        if (lv, c) not in keys
    )  # fmt: skip
    assert frozen._from_batch(progress_queries.progress_rows, outside) is None
    pd.testing.assert_frame_equal(
        plain.run(progress_queries.progress_rows, *outside), frozen.run(progress_queries.progress_rows, *outside)
    )


def test_a_new_batch_replaces_the_previous_one(offline_db: Path) -> None:
    frozen = FrozenDatabase(offline_db).pinned()
    frozen.prefetch([("commune", "33063")])
    frozen.prefetch([("commune", "33281")])
    # memory bounded by the batch
    assert frozen._from_batch(progress_queries.progress_rows, ("commune", "33063")) is None
    assert frozen._from_batch(progress_queries.progress_rows, ("commune", "33281")) is not None
    frozen.release()
