"""Table rows and cells, built as Dash builds them but without its per-argument checks.

Dash's generated constructors format an error message for every argument, even a valid one:
about 5 µs a component (dash 4.4). A portrait's tables have about 800 cells, the published
site about a million, so `tr`, `th` and `td` make the same objects (the same attributes, the
same JSON) directly. The props are still checked against the class's names, as a set lookup.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from dash import html
from dash.development.base_component import Component

C = TypeVar("C", bound=Component)


@functools.cache
def _blank(kind: type[Component]) -> tuple[dict[str, Any], frozenset[str], tuple[str, ...]]:
    """What Dash sets on every instance of `kind` (its prop names, shared), its props, its wildcards."""
    blank = kind()
    own = {k: v for k, v in blank.__dict__.items() if k != "children"}
    return own, frozenset(blank._prop_names), tuple(blank._valid_wildcard_attributes)


def build(kind: type[C], children: Any, props: dict[str, Any]) -> C:
    """`kind(children, **props)`; a TypeError for a prop `kind` does not have, as Dash would."""
    own, names, wildcards = _blank(kind)
    unknown = [k for k in props if k not in names and not k.startswith(wildcards)]
    if unknown:
        raise TypeError(f"{kind.__name__} has no prop {', '.join(unknown)}")
    node = object.__new__(kind)
    node.__dict__.update(own, children=children, **props)
    return node


def tr(children: Any = None, **props: Any) -> html.Tr:
    return build(html.Tr, children, props)


def th(children: Any = None, **props: Any) -> html.Th:
    return build(html.Th, children, props)


def td(children: Any = None, **props: Any) -> html.Td:
    return build(html.Td, children, props)
