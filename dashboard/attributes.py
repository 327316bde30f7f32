"""HTML attributes Dash passes through without declaring them: `aria-*` and `data-*`.

`html.Span("↑", **aria(hidden="true"))` rather than `**{"aria-hidden": "true"}`: the names
read as words, and the result is typed as any keyword value, since Dash's generated
signatures list only the declared props (a type checker would match `**dict[str, str]`
against every one of them)."""

from __future__ import annotations

from typing import Any


def aria(**values: str) -> dict[str, Any]:
    return {f"aria-{name}": value for name, value in values.items()}


def data(**values: str) -> dict[str, Any]:
    return {f"data-{name}": value for name, value in values.items()}


def optional(**values: object) -> dict[str, Any]:
    """The props given a value (a title, an id), so that an absent one is not written at all."""
    return {name: value for name, value in values.items() if value}
