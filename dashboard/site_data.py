"""The database while the static site is written: the file does not change, so results are
kept (bounded), and the portraits of a batch of pages are read with one query per kind of
data for all their territories (`prefetch`), not a few dozen queries per page.

The cost of a page then depends on its own territories, not on the size of the database
times the number of pages: publishing grows linearly with the number of territories.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from dashboard import batched, database, progress_queries, queries
from itdd.sql import named_rows, python_text

# one-territory query -> (batched query, key columns of its rows, whether the rows keep them)
PER_TERRITORY = {
    progress_queries.progress_summary: (batched.progress_summary, None, False),
    progress_queries.peer_comparisons: (batched.peer_comparisons, None, True),
    progress_queries.territory_peers: (batched.territory_peers, batched.PEER_KEY, False),
    queries.epci_neighbours: (batched.epci_neighbours, None, False),
}
LISTED = (queries.territory_values, queries.territories_series)  # queries of a list of territories
DERIVED_KEPT = 64  # a portrait's data and its trends' rows (about 30), used again by its other language


class FrozenDatabase(database.Database):
    """Query results are kept, the least recently used dropped beyond `size` (each caller
    gets its own copy of a table, as layouts add columns); `prefetch` loads a batch of
    territories' rows at once, and drops the previous batch's."""

    static = True

    def __init__(self, path, size: int = 2048) -> None:
        super().__init__(path)
        self._results = database.ResultCache(size)
        self._derived = database.ResultCache(DERIVED_KEPT)
        self._batch: dict = {}  # shared with pinned copies: filled in place

    def prefetch(self, territories: list[tuple[str, str]]) -> None:
        """Read the rows of `territories` (portraits) and of their references, one query per kind."""
        self._batch.clear()
        if not territories:
            return
        batch: dict = {}
        with self.connect() as con:
            refs = batched.reference_territories(con, territories)
            batch[queries.reference_territories] = (
                batched.split(refs, batched.REFERENCE_KEY),
                batched.empty_part(refs, batched.REFERENCE_KEY),
            )
            drawn = list(dict.fromkeys([*territories, *zip(refs["level"], refs["code"], strict=True)]))
            for query in LISTED:
                frame = python_text(query(con, drawn))
                rows = frame.groupby(["level", "code"], sort=False).indices if len(frame) else {}
                batch[query] = (frame, rows, set(drawn))
            values = batch[queries.territory_values][0]  # every drawn territory's: its references' are there
            found = batched.positions(con, values, territories)
            batch[progress_queries.positions] = (batched.split(found), batched.empty_part(found))
            for single, (query, key, keep) in PER_TERRITORY.items():
                found = query(
                    con, [t for t in territories if single is not queries.epci_neighbours or t[0] == "commune"]
                )
                batch[single] = (batched.split(found, key, keep), batched.empty_part(found, key, keep))
            progress = batched.progress_rows(con, territories)
            batch[progress_queries.progress_rows] = (
                batched.split(progress, keep_key=True),
                batched.empty_part(progress, keep_key=True),
            )
            effects, series = batched.policy_effects(con, territories), batched.policy_series(con, territories)
            batch[progress_queries.policies_of] = (
                (batched.split(effects, keep_key=True), batched.empty_part(effects, keep_key=True)),
                (batched.split(series), batched.empty_part(series)),
            )
        self._batch.update(batch, territories=set(territories))

    def _from_batch(self, query, args):
        """The result of `query(*args)` from the batch, the caller's own (new, or a shallow copy
        of a frame), or None when the batch does not hold it."""
        batch = self._batch
        if query not in batch:
            return None
        if query in LISTED:
            frame, rows, held = batch[query]
            wanted = [tuple(t) for t in args[0]]
            if len(args) > 1 or not wanted or not set(wanted) <= held:
                return None
            found = [rows[t] for t in dict.fromkeys(wanted) if t in rows]
            at = np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.intp)  # in the frame's order
            return frame.take(at).reset_index(drop=True)
        if query is queries.epci_neighbours:
            territory = ("commune", *args)
        else:  # positions: (values, level, code), computed over the batch's values, which hold those
            territory = tuple(args[1:3] if query is progress_queries.positions else args[:2])
        if territory not in batch["territories"]:
            return None
        if query is progress_queries.progress_rows and (len(args) > 2 and args[2] is not None):
            return None
        if query is progress_queries.policies_of:
            return tuple(found.get(territory, empty).copy(deep=False) for found, empty in batch[query])
        found, empty = batch[query]
        part = found.get(territory, empty)
        if query is queries.epci_neighbours:
            return part["neighbour"].tolist()
        if query is progress_queries.peer_comparisons:
            return {r.indicator_id: r for r in named_rows(part)}
        return part.copy(deep=False)

    def run(self, query, *args):
        if query is queries.territory_name:  # a page's name: from the territories every page lists
            return self.derived(_names).get(tuple(args))
        if query is progress_queries.progress_rows and len(args) == 3 and None not in args:
            parts, empty = self.derived(_progress_by_indicator, *args[:2])  # every indicator page reads it
            return parts.get(tuple(args), empty).copy(deep=False)
        found = self._from_batch(query, args) if self._batch else None
        if found is not None:  # the caller's own already
            return found
        if not database.hashable(args):  # computed from the frames it is given (`progress_queries.positions`)
            return super().run(query, *args)
        key = (query, repr(args))
        hit, found = self._results.get(key)
        if not hit:
            found = super().run(query, *args)
            self._results.put(key, found)
        return _copy(found)

    def derived(self, compute, *args):
        key = (compute, args)
        hit, found = self._derived.get(key)
        if not hit:
            found = compute(self, *args)
            self._derived.put(key, found)
        return found

    def feature_positions(self, level: str) -> dict[str, int]:
        """{code: its position among the level's outlines (`geojson`)}: once, not a scan a page."""
        key = ("feature positions", level)
        hit, found = self._results.get(key)
        if not hit:
            found = {f["id"]: i for i, f in enumerate(self.geojson(level)["features"])}
            self._results.put(key, found)
        return found


def _progress_by_indicator(database, level: str, code: str) -> tuple[dict, pd.DataFrame]:
    """A territory's progress rows, each indicator's as `progress_rows(level, code, indicator)`
    gives them, from one query: an indicator page draws its territories' progress for one
    indicator, and every indicator page the same few territories."""
    with database.connect() as con:
        found = batched.progress_rows(con, [(level, code)])
    key = [*batched.KEY, "indicator_id"]
    return batched.split(found, key, keep_key=True), batched.empty_part(found, key, keep_key=True)


def _names(database) -> dict[tuple[str, str], str]:
    return {(r.level, r.code): r.name for r in database.rows(queries.list_territories)}


def _copy(found):
    """A caller's own copy: of a frame, a shallow one (with pandas' copy-on-write, a change to
    it, such as a column added, never reaches the kept frame)."""
    if isinstance(found, pd.DataFrame):
        return found.copy(deep=False)
    if isinstance(found, tuple) and all(isinstance(f, pd.DataFrame) for f in found):
        return tuple(f.copy(deep=False) for f in found)
    return copy.deepcopy(found)
