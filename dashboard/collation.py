"""French alphabetical order for names, without ICU: "Étauliers" before "Yvrac", "Œuilly" with
the O's, "Saint-Yzans" before "Sainte-Croix", as a French dictionary orders them."""

from __future__ import annotations

import re
import unicodedata

LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
PUNCTUATION = re.compile(r"[\W_]+")  # hyphens, apostrophes, spaces: a word break, before any letter


def french_key(name: object) -> str:
    """A sort key: letters without accents or case first, then accents, then the name itself."""
    decomposed = unicodedata.normalize("NFD", str(name)).casefold()
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(LIGATURES)
    return "\x00".join([PUNCTUATION.sub(" ", letters).strip(), decomposed, str(name)])
