"""Why there is no value: said in words wherever a value would be, never a bare "–".

The reasons come from the build (`indicator_gaps`, see etl.indicators.record_gaps) for a
whole level, and from a territory's own statuses (withheld, not published for it).
Pure functions; the pages pass in what the queries returned.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from dashboard.components import html
from dashboard.i18n import t

NOT_DECLARED = "not_declared"  # the catalogue does not compute the indicator at this level


def gap_reason(
    gaps: dict, indicator_id: str, level: str, levels: list[str], statuses: AbstractSet[str] = frozenset()
) -> tuple[str, list[str]]:
    """(reason, sources) for an indicator without a value at `level` (for one territory,
    with the statuses of its rows): a secret is said first, then the build's reason."""
    if "secret" in statuses:
        return "withheld", []
    if level not in levels:
        return NOT_DECLARED, []
    return gaps.get((indicator_id, level), ("no_value", []))


def gap_text(reason: str, sources: list[str]) -> str:
    """The reason in words, with what would bring a value ('`itdd build` downloads it')."""
    return t(f"gap_{reason}", sources=", ".join(sources))


def gap_cell(reason: str, sources: list[str]) -> list:
    """A short note for a table cell without a value; the full reason in its title."""
    return [html.Span(t(f"gap_short_{reason}"), className="gap", title=gap_text(reason, sources))]
