"""`dashboard.cells`: table rows and cells made without Dash's constructor are the objects Dash makes."""

from __future__ import annotations

import json

import pytest
from dash import dcc, html
from plotly.utils import PlotlyJSONEncoder

from dashboard.attributes import data
from dashboard.cells import td, th, tr


@pytest.mark.parametrize(
    ("fast", "dash_made"),
    [
        (td("12,5", className="num", **data(label="EPCI")), html.Td("12,5", className="num", **data(label="EPCI"))),
        (th(dcc.Link("Population", href="/x"), scope="row"), html.Th(dcc.Link("Population", href="/x"), scope="row")),
        (tr([td("a"), td(None)]), html.Tr([html.Td("a"), html.Td(None)])),
        (td(), html.Td()),
    ],
)
def test_the_same_component_as_dash_makes(fast, dash_made) -> None:
    assert type(fast) is type(dash_made)
    assert fast.__dict__.keys() == dash_made.__dict__.keys()
    assert _json(fast) == _json(dash_made)  # the whole tree, as Dash sends it


def _json(component) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder, sort_keys=True)


def test_an_unknown_prop_is_refused_as_dash_refuses_it() -> None:
    with pytest.raises(TypeError, match="classname"):
        td("x", classname="num")
    with pytest.raises(TypeError):
        html.Td("x", classname="num")
    assert td("x", **{"aria-label": "ok"}).to_plotly_json()["props"]["aria-label"] == "ok"
