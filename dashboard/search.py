"""Accent-insensitive search over territory names and codes, and over indicator labels."""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

# Common abbreviations in French place names.
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
LEVEL_RANK = {"departement": 0, "epci": 1, "commune": 2, "region": 3, "france": 4}


def normalise(text: object) -> str:
    """'Saint-Médard-en-Jalles' -> 'saint medard en jalles'; 'St Medard' -> 'saint medard'."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    words = re.split(r"[^a-z0-9]+", plain)
    return " ".join(ABBREVIATIONS.get(w, w) for w in words if w)


def _matches(query: str, haystack: str) -> bool:
    # Every query word starts a word of the haystack: "st medard" finds "saint medard en jalles".
    words = haystack.split()
    return all(any(w.startswith(q) for w in words) for q in query.split())


def search_territories(territories: pd.DataFrame, text: str, limit: int = 10) -> pd.DataFrame:
    """Territories (level, code, name) whose name or code matches `text`, best first."""
    query = normalise(text)
    if not query:
        return territories.iloc[0:0]
    names = territories["name"].map(normalise)
    code_hit = territories["code"].str.lower().str.startswith(query.replace(" ", ""))
    hits = territories[code_hit | names.map(lambda n: _matches(query, n))].copy()
    hits["_exact"] = names[hits.index] != query
    hits["_starts"] = ~names[hits.index].str.startswith(query)
    hits["_level"] = hits["level"].map(LEVEL_RANK).fillna(9)
    hits = hits.sort_values(["_exact", "_starts", "_level", "name"])
    return hits.drop(columns=["_exact", "_starts", "_level"]).head(limit)


def nearest(choices: list[str], wanted: str, n: int = 5) -> list[str]:
    """The valid choices closest to a wrong one (accent- and case-insensitive)."""
    keyed = {normalise(c): c for c in choices}
    close = [keyed[c] for c in difflib.get_close_matches(normalise(wanted), list(keyed), n=n, cutoff=0.3)]
    return (close + [c for c in choices if c not in close])[:n]


def search_indicators(catalogue: pd.DataFrame, text: str) -> pd.DataFrame:
    """Catalogue rows whose id, label or definition contains every word of `text`."""
    query = normalise(text)
    if not query:
        return catalogue
    columns = ["indicator_id", "label_fr", "label_en", "definition_fr", "definition_en"]
    haystack = catalogue[[c for c in columns if c in catalogue]].fillna("").astype(str).agg(" ".join, axis=1)
    haystack = haystack.map(normalise)
    return catalogue[haystack.map(lambda h: all(q in h for q in query.split()))]
