"""The static site's territory search: the box (`site_assets/search.js` fills its list) and the
index of territories and indicators it searches (`recherche.json`)."""

from __future__ import annotations

import html as html_text

from dashboard import queries
from dashboard.chrome import label
from dashboard.i18n import t
from dashboard.search import ABBREVIATIONS, LEVEL_RANK, normalise

SEARCH_INDEX = "recherche.json"


def site_search(prefix: str) -> str:
    """The search box of the site (`site_assets/search.js` fills its list), and the list of all territories."""
    attributes = {"data-index": prefix + SEARCH_INDEX, "data-root": prefix, "data-none": t("site_search_none")}
    data = "".join(f' {k}="{html_text.escape(v, quote=True)}"' for k, v in attributes.items())
    return (
        '<div class="territory-search site-search no-print" id="site-search-box">'
        f'<label for="site-search">{html_text.escape(t("site_search"))}</label>'
        f'<input id="site-search" type="search" autocomplete="off" '
        f'placeholder="{html_text.escape(t("site_search_placeholder"), quote=True)}"{data}>'
        '<ul id="site-search-results" class="search-results" aria-live="polite"></ul>'
        f'<p class="all-territories"><a href="{prefix}territoires.html">{html_text.escape(t("territories_all"))}</a></p>'
        "</div>"
    )


def search_index(database) -> dict:
    """What the site's search reads: each territory and indicator with its page and its words
    normalised as the dashboard's search does (`dashboard.search.normalise`, whose abbreviations
    the script applies to what is typed)."""
    territories = database.run(queries.list_territories)
    territories = territories.assign(rank=territories["level"].map(LEVEL_RANK).fillna(9)).sort_values(
        "rank", kind="stable"
    )  # départements and EPCI before communes; names stay in French order
    # Postcodes and former names, where the build has them: each an entry of its own, saying how it matched.
    also = database.run(queries.territory_search_index)
    also = also[also["kind"].isin(["postcode", "former"])]
    # First, as on the dashboard: "33400" is Talence's postcode before it is Saint-Ferme's INSEE code.
    entries = [
        {"name": r.name, "code": r.term if r.kind == "postcode" else r.code,
         "kind": t(f"level1_{r.level}"), "note": f"{t(f'level1_{r.level}')}, {t(f'match_{r.kind}', term=r.term)}",
         "page": f"territoire/{r.level}/{r.code}.html", "words": normalise(r.term) if r.kind == "former" else ""}
        for r in also.itertuples()
    ] + [
        {"name": r.name, "code": r.code, "kind": t(f"level1_{r.level}"), "page": f"territoire/{r.level}/{r.code}.html",
         "words": normalise(r.name)}
        for r in territories.itertuples()
    ]  # fmt: skip
    for row in database.run(queries.catalogue).itertuples():
        entries.append(
            {"name": label(row), "code": row.indicator_id, "kind": t("indicator_word"),
             "page": f"indicateur/{row.indicator_id}.html", "words": normalise(f"{label(row)} {row.indicator_id}")}
        )  # fmt: skip
    return {"abbreviations": ABBREVIATIONS, "entries": entries}
