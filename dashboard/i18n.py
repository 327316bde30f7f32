"""User-interface text in French (default) and English; the language travels in `?lang=`.

The texts are data: `locales/fr.yaml` and `locales/en.yaml`, read and checked once at import.
"""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import parse_qsl, urlencode

import yaml

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"

SECTIONS = ("text", "units")  # what each locale file holds: interface texts, catalogue units

# The five Agenda 21 finalities, in the order of the framework.
FINALITIES = ("climat", "biodiversite", "cohesion_sociale", "epanouissement", "production_consommation")


class LocaleError(RuntimeError):
    """A locale file that cannot be used: unreadable, or out of step with the other language."""


def read_locale(lang: str) -> dict[str, dict[str, str]]:
    """`locales/<lang>.yaml`: its `text` and `units` sections, each a mapping of strings."""
    path = files("dashboard") / "locales" / f"{lang}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise LocaleError(f"{path}: cannot be read ({error})") from error
    if not isinstance(data, dict) or set(data) != set(SECTIONS):
        raise LocaleError(f"{path}: needs exactly the sections {', '.join(SECTIONS)}")
    for section in SECTIONS:
        pairs = data[section].items() if isinstance(data[section], dict) else [(section, None)]
        bad = [str(k) for k, v in pairs if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise LocaleError(f"{path}: {section} must map strings to strings (not: {', '.join(bad)})")
    return data


def locale_gaps(locales: dict[str, dict[str, dict[str, str]]]) -> list[str]:
    """Keys that one language has and another lacks, as `section.key (lang only)`."""
    gaps = []
    for section in SECTIONS:
        keys = {lang: set(locales[lang][section]) for lang in locales}
        every = set().union(*keys.values())
        for lang, own in keys.items():
            gaps += [f"{section}.{key} ({lang} lacks it)" for key in sorted(every - own)]
    return gaps


def load_locales() -> dict[str, dict[str, dict[str, str]]]:
    """Every language's locale, checked to have the same keys; a `LocaleError` names the gaps."""
    locales = {lang: read_locale(lang) for lang in LANGS}
    gaps = locale_gaps(locales)
    if gaps:
        raise LocaleError("locale files out of step: " + "; ".join(gaps))
    return locales


LOCALES = load_locales()
TEXT: dict[str, dict[str, str]] = {lang: LOCALES[lang]["text"] for lang in LANGS}
# Units as indicators.yaml writes them (French) -> English; a unit missing here is an error
# (tests/test_dashboard_figures.py checks the catalogue against it).
UNITS_EN: dict[str, str] = LOCALES["en"]["units"]


def unit_in(unit: str | None, lang: str) -> str:
    """A catalogue unit in `lang` ('' for none)."""
    if not unit:
        return ""
    return LOCALES[normalise_lang(lang)]["units"].get(unit, unit)


def normalise_lang(lang: object) -> str:
    """The language of a `?lang=` value; anything unknown falls back to French."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values: object) -> str:
    """Translated text for `key`, formatted with `values`; French if missing in `lang`."""
    text = TEXT[normalise_lang(lang)].get(key) or TEXT[DEFAULT_LANG].get(key, key)
    return text.format(**values) if values else text


# INSEE's article types (TNCC) of a name: (article, "of" form), as in "la Gironde", "des Landes".
ARTICLES = {
    0: ("", "de "),
    1: ("", "d'"),
    2: ("le ", "du "),
    3: ("la ", "de la "),
    4: ("les ", "des "),
    5: ("l'", "de l'"),
    6: ("aux ", "des "),
    7: ("las ", "de las "),
    8: ("los ", "de los "),
}


def place_names(name: str, tncc: int | None, lang: str) -> dict[str, str]:
    """`name`, `the_name` (capitalised: "Les Landes", English "Landes") and `of_name`
    ("des Landes", English "Landes") of a territory, for the texts that name it."""
    if lang != "fr" or tncc is None:
        return {"name": name, "the_name": name, "of_name": name}
    article, of = ARTICLES.get(int(tncc), ("", "de "))
    the_name = article + name
    return {"name": name, "the_name": the_name[:1].upper() + the_name[1:], "of_name": of + name}


def finality_label(finality: str | None, lang: str) -> str:
    key = f"finality_{finality}"
    return t(key, lang) if key in TEXT[DEFAULT_LANG] else (finality or t("finality_other", lang))


def colon(lang: str) -> str:
    """The separator before a value: ' : ' in French (no-break space before the colon), ': ' in English."""
    return "\u00a0: " if normalise_lang(lang) == "fr" else ": "


def labelled(key: str, value: object, lang: str) -> str:
    """'Rang : 3' / 'Rank: 3'."""
    return f"{t(key, lang)}{colon(lang)}{value}"


def other_lang(lang: str) -> str:
    return "en" if normalise_lang(lang) == "fr" else "fr"


def with_query(path: str, lang: str, **params: object) -> str:
    """`path` with `params` (None dropped) and `lang` (only when not French) as a query string."""
    query = {k: v for k, v in params.items() if v not in (None, "", [])}
    if normalise_lang(lang) != DEFAULT_LANG:
        query["lang"] = lang
    return f"{path}?{urlencode(query)}" if query else path


def switch_href(search: str | None, lang: str) -> str:
    """The query string of the same view in the other language."""
    query = dict(parse_qsl((search or "").lstrip("?")))
    target = other_lang(lang)
    if target == DEFAULT_LANG:
        query.pop("lang", None)
    else:
        query["lang"] = target
    return f"?{urlencode(query)}" if query else "?"
