"""The locale bound once per request: its default, its scope, its isolation between threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.i18n import Locale, locale, localised, t, using
from tests.test_hardening import JSON_VALUES


def test_the_default_locale_is_french() -> None:
    assert locale() == Locale("fr") and t("map_title") == "Carte des indicateurs"


def test_using_nests_and_resets_each_level() -> None:
    with using("en"):
        assert t("map_title") == "Indicator map"
        with using("fr"):
            assert locale().lang == "fr"
        assert locale().lang == "en"
    assert locale().lang == "fr"


def test_using_resets_after_an_exception() -> None:
    with pytest.raises(ValueError), using("en"):
        raise ValueError(t("map_title"))
    assert locale().lang == "fr"


def test_an_unknown_or_forged_language_binds_french() -> None:
    for value in [*JSON_VALUES, "xx", "EN"]:
        with using(value):
            assert locale().lang == "fr"


def test_a_locale_is_one_of_the_languages() -> None:
    with pytest.raises(ValueError, match="no locale 'xx'"):
        Locale("xx")


def test_two_threads_do_not_see_each_others_locale() -> None:
    both_bound = threading.Barrier(2, timeout=10)

    def title(lang: str) -> str:
        with using(lang):
            both_bound.wait()  # each thread reads its locale while the other's is bound too
            return t("map_title")

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(title, ["en", "fr"])) == ["Indicator map", "Carte des indicateurs"]
    assert locale().lang == "fr"


def test_a_localised_callback_runs_in_its_last_argument_language() -> None:
    @localised
    def title(prefix: str) -> str:
        return prefix + t("map_title")

    assert title("> ", "en") == "> Indicator map"
    assert title(prefix="> ", lang="en") == "> Indicator map"  # a named state (`state={"lang": ...}`)
    assert title("> ", ["en"]) == "> Carte des indicateurs"  # a forged value: French
    assert locale().lang == "fr"
