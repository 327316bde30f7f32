"""User-interface text in French (default) and English; the language travels in `?lang=`.

The texts are data: `locales/fr.yaml` and `locales/en.yaml`, read and checked once at import.
Each entry point (a page layout, a callback, a static page) binds its language once with
`using(lang)` (callbacks: `localised`); the functions below it read `locale()`, or the short
forms `t`, `unit_in`, `labelled`... of the bound one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib.resources import files
from typing import Any
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


def normalise_lang(lang: object) -> str:
    """The language of a `?lang=` value; anything unknown falls back to French."""
    return lang if lang in LANGS else DEFAULT_LANG


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


@dataclass(frozen=True)
class Locale:
    """One language's texts and conventions: bound once per request (`using`), read below (`locale`)."""

    lang: str = DEFAULT_LANG

    def __post_init__(self) -> None:
        if self.lang not in LANGS:  # `using` normalises a request's value; this is a programming error
            raise ValueError(f"no locale {self.lang!r} (one of {', '.join(LANGS)})")

    def t(self, key: str, **values: object) -> str:
        """Translated text for `key`, formatted with `values`; French if missing in this language."""
        text = TEXT[self.lang].get(key) or TEXT[DEFAULT_LANG].get(key, key)
        return text.format(**values) if values else text

    def unit(self, unit: str | None) -> str:
        """A catalogue unit in this language ('' for none)."""
        return LOCALES[self.lang]["units"].get(unit, unit) if unit else ""

    def colon(self) -> str:
        """The separator before a value: ' : ' in French (no-break space before the colon), ': ' in English."""
        return "\u00a0: " if self.lang == "fr" else ": "

    def labelled(self, key: str, value: object) -> str:
        """'Rang : 3' / 'Rank: 3'."""
        return f"{self.t(key)}{self.colon()}{value}"

    def place_names(self, name: str, tncc: int | None) -> dict[str, str]:
        """`name`, `the_name` (capitalised: "Les Landes", English "Landes") and `of_name`
        ("des Landes", English "Landes") of a territory, for the texts that name it."""
        if self.lang != "fr" or tncc is None:
            return {"name": name, "the_name": name, "of_name": name}
        article, of = ARTICLES.get(int(tncc), ("", "de "))
        the_name = article + name
        return {"name": name, "the_name": the_name[:1].upper() + the_name[1:], "of_name": of + name}

    def finality_label(self, finality: str | None) -> str:
        key = f"finality_{finality}"
        return self.t(key) if key in TEXT[DEFAULT_LANG] else (finality or self.t("finality_other"))

    def other_lang(self) -> str:
        return "en" if self.lang == "fr" else "fr"

    def with_query(self, path: str, **params: object) -> str:
        """`path` with `params` (None dropped) and the language (only when not French) as a query string."""
        query = {k: v for k, v in params.items() if v not in (None, "", [])}
        if self.lang != DEFAULT_LANG:
            query["lang"] = self.lang
        return f"{path}?{urlencode(query)}" if query else path

    def switch_href(self, search: str | None) -> str:
        """The query string of the same view in the other language."""
        query = dict(parse_qsl((search or "").lstrip("?")))
        target = self.other_lang()
        if target == DEFAULT_LANG:
            query.pop("lang", None)
        else:
            query["lang"] = target
        return f"?{urlencode(query)}" if query else "?"


# The locale of the request (or static page) being rendered. A ContextVar, not a global: each
# thread and each context sees its own, so concurrent requests in different languages do not mix.
DEFAULT_LOCALE = Locale()  # frozen: safe to share as the default
_CURRENT: ContextVar[Locale] = ContextVar("itdd_locale", default=DEFAULT_LOCALE)


def locale() -> Locale:
    """The locale bound by the entry point being served (French if none is)."""
    return _CURRENT.get()


@contextmanager
def using(lang: object) -> Iterator[Locale]:
    """Bind the locale of `lang` (unknown: French) for the block; the previous one is back after it."""
    token = _CURRENT.set(Locale(normalise_lang(lang)))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def localised(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A Dash callback run in its page's language: its `lang` argument (the `State("lang", "data")`
    declared last, or the `lang` of a named state) is bound, not passed on."""

    @functools.wraps(callback)
    def bound(*args: Any, **kwargs: Any) -> Any:
        if "lang" in kwargs:
            lang = kwargs.pop("lang")
        else:
            *args_, lang = args
            args = tuple(args_)
        with using(lang):
            return callback(*args, **kwargs)

    return bound


# Short forms of the current locale's methods, for the call sites.
def t(key: str, **values: object) -> str:
    return locale().t(key, **values)


def unit_in(unit: str | None) -> str:
    return locale().unit(unit)


def colon() -> str:
    return locale().colon()


def labelled(key: str, value: object) -> str:
    return locale().labelled(key, value)


def place_names(name: str, tncc: int | None) -> dict[str, str]:
    return locale().place_names(name, tncc)


def finality_label(finality: str | None) -> str:
    return locale().finality_label(finality)


def other_lang() -> str:
    return locale().other_lang()


def with_query(path: str, **params: object) -> str:
    return locale().with_query(path, **params)


def switch_href(search: str | None) -> str:
    return locale().switch_href(search)


def current_lang() -> str:
    return locale().lang
