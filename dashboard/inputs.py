"""Callback inputs as they arrive: any JSON value, whatever the component would send.

Callbacks check their inputs with these before using them, and answer `no_update` (or a
not-found view) for a value of the wrong type, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

MAX_TEXT = 200  # a search box's text beyond this is cut: no name or label is that long
MAX_ITEMS = 100


def is_text(value: object) -> bool:
    return isinstance(value, str)


def optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def optional_number(value: object) -> bool:
    """None or a finite number (Dash 4's slider sends 2022.9 for a step down from 2023; JSON allows NaN)."""
    if value is None or isinstance(value, bool):
        return value is None
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))  # 10**400 is no float


def search_text(value: object) -> str | None:
    """What a search box holds: its text (cut to MAX_TEXT), '' when empty, None for anything else."""
    if value is None:
        return ""
    return value[:MAX_TEXT] if isinstance(value, str) else None


def text_list(value: object, limit: int = MAX_ITEMS) -> list[str] | None:
    """A multi-select's value: a list of strings (None counts as empty); None for anything else."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit or not all(isinstance(v, str) for v in value):
        return None
    return value


def has_types(value: object, types: Mapping[str, tuple[type, ...]]) -> bool:
    """`value` is a dict whose `types` keys each hold a value of one of the given types."""
    return isinstance(value, dict) and all(
        isinstance(value.get(key), allowed) and not (isinstance(value.get(key), bool) and bool not in allowed)
        for key, allowed in types.items()
    )
