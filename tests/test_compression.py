"""gzip for large text answers (dashboard.compression): the same content, fewer bytes, and never
for a client that does not ask for it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dashboard.app import create_app
from dashboard.compression import accepts_gzip
from dashboard.hardening import callback_key, callback_request

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture(scope="module")
def app(offline_db: Path):
    return create_app(offline_db)  # with the response cache


def _switch_body(app, drawn_level: str = "commune") -> dict:
    """A year switch on the commune map (a Patch), or, when the map draws another level, a new figure."""
    key = callback_key(app.callback_map, "map.figure")
    values = {"indicateur.value": "population", "niveau.value": "commune", "annee.value": 2019,
              "classes.value": "quantiles", "couleur.value": "valeur", "map-level.data": drawn_level,
              "lang.data": "fr"}  # fmt: skip
    return callback_request(app.callback_map, key, values, "annee.value")


def test_a_map_switch_is_compressed_for_a_client_that_accepts_gzip(app) -> None:
    client = app.server.test_client()
    client.get("/")
    plain = client.post("/_dash-update-component", json=_switch_body(app))
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    for _ in range(2):  # computed, then from the response cache: both compressed, the cache holds the plain one
        packed = client.post("/_dash-update-component", json=_switch_body(app), headers=GZIP)
        assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
    assert client.post("/_dash-update-component", json=_switch_body(app)).data == plain.data


def test_outlines_compressed_keep_a_weak_etag_that_still_validates(app) -> None:
    client = app.server.test_client()
    client.get("/")
    figure = client.post("/_dash-update-component", json=_switch_body(app, drawn_level="epci"))
    url = figure.get_json()["response"]["map"]["figure"]["data"][0]["geojson"]
    plain, packed = client.get(url), client.get(url, headers=GZIP)
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] == f"W/{plain.headers['ETag']}"
    assert client.get(url, headers={**GZIP, "If-None-Match": packed.headers["ETag"]}).status_code == 304


def test_small_or_binary_answers_stay_as_they_are(app) -> None:
    client = app.server.test_client()
    small = client.get("/telecharger/population.csv?niveau=departement&annee=2021", headers=GZIP)
    assert small.status_code == 200 and len(small.data) < 1400 and "Content-Encoding" not in small.headers
    workbook = client.get("/telecharger/population.xlsx", headers=GZIP)
    assert workbook.status_code == 200 and "Content-Encoding" not in workbook.headers


@pytest.mark.parametrize(
    ("header", "accepted"),
    [("gzip, deflate, br", True), ("GZIP;q=0.5", True), ("*", True), ("gzip;q=0", False), ("br", False),
     ("", False), ("gzip;q=x", False)],
)  # fmt: skip
def test_accept_encoding(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted
