"""Any path that matches no page: the friendly French page with the main entry points."""

from __future__ import annotations

from dashboard import urls
from dashboard.chrome import not_found
from dashboard.components import html
from dashboard.i18n import t


def found(_database, **_params) -> bool:
    """Never: this is the page of paths that match no other (HTTP 404)."""
    return False


def layout(**params) -> html.Div:
    choices = [(t("nav_home"), urls.home()), (t("nav_map"), urls.map_view())]
    return not_found({**params}, t("nf_page"), choices)
