"""`dashboard.components`: HTML components made without Dash's constructor are the objects Dash makes."""

from __future__ import annotations

import json

import dash
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.attributes import data
from dashboard.components import dcc, html


@pytest.mark.parametrize(
    ("fast", "dash_made"),
    [
        (
            html.Td("12,5", className="num", **data(label="EPCI")),
            dash.html.Td("12,5", className="num", **data(label="EPCI")),
        ),
        (
            html.Th(dcc.Link("Population", href="/x"), scope="row"),
            dash.html.Th(dash.dcc.Link("Population", href="/x"), scope="row"),
        ),
        (html.Tr([html.Td("a"), html.Td(None)]), dash.html.Tr([dash.html.Td("a"), dash.html.Td(None)])),
        (html.Td(), dash.html.Td()),
        (html.Div(children=["a"], id={"k": 1}, title=None), dash.html.Div(children=["a"], id={"k": 1}, title=None)),
        (
            html.Section(html.P("x", **{"aria-label": "y"}), className="c"),
            dash.html.Section(dash.html.P("x", **{"aria-label": "y"}), className="c"),
        ),
    ],
)
def test_the_same_component_as_dash_makes(fast, dash_made) -> None:
    assert type(fast) is type(dash_made)
    assert fast.__dict__.keys() == dash_made.__dict__.keys()  # the same attributes (Dash's order varies)
    assert _json(fast) == _json(dash_made)  # the whole tree, as Dash sends it


def _json(component) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder, sort_keys=True)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"classname": "num"}, "classname"),  # unknown
        ({"title": dash.html.B("x")}, "title"),  # a component outside children
        ({"id": 3}, "id"),
    ],
)
def test_what_dash_refuses_is_refused(props, message) -> None:
    with pytest.raises(TypeError, match=message):
        html.Td("x", **props)
    with pytest.raises(TypeError):
        dash.html.Td("x", **props)


def test_a_link_requires_its_href_as_dash_s_does_and_graphs_stay_dash_s() -> None:
    with pytest.raises(TypeError, match="href"):
        dcc.Link("x")
    with pytest.raises(TypeError, match="href"):
        dash.dcc.Link("x")
    assert dcc.Graph is dash.dcc.Graph


def test_wildcard_props_and_only_children_by_position() -> None:
    assert html.Td("x", **{"aria-label": "ok"}).to_plotly_json()["props"]["aria-label"] == "ok"
    with pytest.raises(TypeError):
        html.Td("x", "an-id")  # Dash would take it as the id: written by name here
