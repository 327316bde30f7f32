"""Any path that matches no page: the friendly French page with the main entry points."""

from __future__ import annotations

from dash import html

from dashboard import urls
from dashboard.chrome import not_found
from dashboard.i18n import normalise_lang, t


def found(_database, **_params) -> bool:
    """Never: this is the page of paths that match no other (HTTP 404)."""
    return False


def layout(lang: str = "fr", **params) -> html.Div:
    lang = normalise_lang(lang)
    choices = [(t("nav_home", lang), urls.home(lang)), (t("nav_map", lang), urls.map_view(lang))]
    return not_found(lang, {**params, "lang": lang}, t("nf_page", lang), choices)
