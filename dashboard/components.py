"""Dash's HTML components and links, made as Dash makes them but without its per-argument cost.

Dash's generated constructors format an error message for every argument, even a valid one,
and list the explicit arguments through a wrapper: about 10 µs a component (dash 4.4), where a
portrait has about 1,500 of them and the published site 1.7 million. `from dashboard.components
import dcc, html` gives constructors of the same classes that set the same attributes directly
(1.5 µs). They still refuse what Dash refuses: an unknown prop, a component in a prop other
than `children`, an `id` that is neither text nor a dict, a link without `href`. Graphs and
controls (a few a page) stay Dash's own classes. Type checkers see `dash.dcc` and `dash.html`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import dash
from dash.development.base_component import Component


def _constructor(kind: type[Component], required: tuple[str, ...] = ()) -> Callable[..., Component]:
    """`kind(children, **props)` for a component class with a `children` prop; `required`: the
    props Dash's constructor of `kind` requires."""
    blank = kind(**dict.fromkeys(required, ""))
    fixed = {k: v for k, v in vars(blank).items() if k != "children" and k not in required}  # Dash's prop lists
    names, wildcards = frozenset(blank._prop_names), tuple(blank._valid_wildcard_attributes)  # type: ignore[attr-defined]
    where = f"{kind._namespace}.{kind.__name__}"  # type: ignore[attr-defined]

    def make(children: Any = None, **props: Any) -> Component:
        if props:  # most components have none, or a class name
            for name, value in props.items():
                if name not in names and not name.startswith(wildcards):
                    raise TypeError(f"{where} has no prop {name!r}")
                if type(value) is not str and isinstance(value, Component):
                    raise TypeError(f"{where}: a component in {name!r}, not in children")
            if "id" in props and not isinstance(props["id"], (str, dict)):
                raise TypeError(f"{where}: `id` must be text or a dict, not {props['id']!r}")
        if required:
            missing = [name for name in required if name not in props]
            if missing:
                raise TypeError(f"{where} requires {', '.join(missing)}")
        node = object.__new__(kind)
        own = node.__dict__
        own.update(fixed)
        own["children"] = children
        if props:
            own.update(props)
        return node

    make.__name__ = make.__qualname__ = kind.__name__
    return make


class _Quick:
    """A module's component classes, those of `quick` (with their required props; None: all) as
    constructors made on first use, the others as they are."""

    def __init__(self, module, quick: dict[str, tuple[str, ...]] | None = None) -> None:
        self._module, self._quick = module, quick

    def __getattr__(self, name: str):
        found = getattr(self._module, name)
        if self._quick is None or name in self._quick:
            found = _constructor(found, (self._quick or {}).get(name, ()))
        setattr(self, name, found)
        return found


if TYPE_CHECKING:
    from dash import dcc, html
else:
    html = _Quick(dash.html)  # no HTML component has a required prop
    dcc = _Quick(dash.dcc, {"Link": ("href",)})  # the one a page has many of (graphs and controls: a few)
