"""Accent-insensitive search over territory names and codes, and over indicator labels."""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

from itdd.model import SEARCH_RANK

# Common abbreviations in French place names.
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
LEVEL_RANK = SEARCH_RANK  # départements first, then EPCIs, communes, régions, France


def normalise(text: object) -> str:
    """'Saint-Médard-en-Jalles' -> 'saint medard en jalles'; 'St Medard' -> 'saint medard'."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    words = re.split(r"[^a-z0-9]+", plain)
    return " ".join(ABBREVIATIONS.get(w, w) for w in words if w)


# How a territory was found, best first: its name, a former name (COG history), its postcode
# (La Poste), its own code (INSEE or SIREN). A postcode comes before the INSEE code it may
# equal ("33400" is Talence's postcode and Saint-Ferme's INSEE code): a resident types the former.
MATCH_KINDS = ("name", "former", "postcode", "code")
INDEX_COLUMNS = ["level", "code", "name", "kind", "term"]
NORMALISED = "_normalised"  # the index's terms as `normalise` gives them


def search_index(
    territories: pd.DataFrame, postcodes: pd.DataFrame | None = None, former: pd.DataFrame | None = None
) -> pd.DataFrame:
    """What the territory search reads: (level, code, name, kind, term), one row per way to find a territory.

    `territories`: level, code, name; `postcodes`: code, postcode (communes); `former`: code (the
    successor), old_name. Codes are searched from `territories` itself (kind `code`)."""
    parts = [
        territories.assign(kind="name", term=territories["name"]),
        territories.assign(kind="code", term=territories["code"]),
    ]
    communes = territories[territories["level"] == "commune"][["level", "code", "name"]]
    if postcodes is not None and not postcodes.empty:
        parts.append(communes.merge(postcodes, on="code").assign(kind="postcode").rename(columns={"postcode": "term"}))
    if former is not None and not former.empty:
        rows = communes.merge(former, on="code").rename(columns={"old_name": "term"}).assign(kind="former")
        parts.append(rows[rows["term"].map(normalise) != rows["name"].map(normalise)])
    index = pd.concat([p[INDEX_COLUMNS] for p in parts], ignore_index=True).dropna(subset=["term"])
    index = index.drop_duplicates(ignore_index=True)
    # Each term normalised once, not at every search: 73,000 terms in a national build.
    return index.assign(**{NORMALISED: index["term"].map(normalise)})


def search_territories(territories: pd.DataFrame, text: str, limit: int = 10) -> pd.DataFrame:
    """Territories matching `text`, best first: (level, code, name, kind, term), one row per territory,
    with how it was found (`kind`, see MATCH_KINDS) and what matched (`term`).

    `territories` is a `search_index`, or plain (level, code, name) rows (names and codes only)."""
    index = territories if "kind" in territories.columns else search_index(territories)
    query = normalise(text)
    if not query:
        return index.iloc[0:0]
    compact = query.replace(" ", "")
    terms = index[NORMALISED]
    by_code = index["kind"].isin(["code", "postcode"])
    starts = terms.str.replace(" ", "").str.startswith(compact).astype(bool)
    # every query word starts a word of the term: "st medard" finds "saint medard en jalles"
    words = pd.Series(True, index=index.index)
    for word in query.split():
        words &= terms.str.contains(f"(?:^| ){re.escape(word)}", regex=True).astype(bool)
    hit = (by_code & starts) | (~by_code & words)
    hits = index[hit].assign(_term=terms[hit])
    hits = hits.assign(
        _exact=hits["_term"].str.replace(" ", "") != compact,
        _starts=~hits["_term"].str.startswith(query),
        _kind=hits["kind"].map({k: i for i, k in enumerate(MATCH_KINDS)}),
        _level=hits["level"].map(LEVEL_RANK).fillna(9),
        _name=hits["name"].map(normalise),
    )
    hits = hits.sort_values(["_exact", "_starts", "_kind", "_level", "_name"], kind="stable")
    hits = hits.drop_duplicates(["level", "code"])  # the best way each territory was found
    return hits[INDEX_COLUMNS].head(limit)


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
