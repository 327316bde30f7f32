"""The progress method's vocabulary is declared once (itdd.method): the ETL's stored texts,
the dashboard's badges, reasons and method page derive from it, and every sentence that
states a threshold is made from the numbers (issue #12, item 3)."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard import assessment, i18n
from dashboard.i18n import using
from dashboard.pages import methode
from etl import progress
from itdd import method

ROOT = Path(__file__).resolve().parent.parent


def test_thresholds_in_words() -> None:
    assert method.percent(0.015, "fr") == "1,5 %"
    assert method.percent(0.015, "en") == "1.5 %"
    assert method.thresholds("fr") == {
        "on_track": "1,5 %",
        "acceleration": "0,5 %",
        "r_on_track": "95 %",
        "r_acceleration": "60 %",
    }


def test_the_stored_rules_state_the_thresholds_from_the_numbers() -> None:
    on_track = method.CATEGORY["on_track"]
    assert f"R ≥ {method.percent(method.TARGET_THRESHOLDS[0], 'fr')}" in on_track.rule_fr
    assert f"≥ {method.percent(method.NO_TARGET_THRESHOLDS[0], 'en')}" in on_track.rule_en
    assert list(progress.CATEGORY_TEXT) == list(method.CATEGORIES)
    assert progress.CATEGORY_TEXT["on_track"][2] == on_track.rule_fr


def test_the_method_page_restates_no_threshold() -> None:
    for lang in ("fr", "en"):
        words = method.thresholds(lang)
        for key in ("target_text", "no_target_text"):
            raw = i18n.TEXT[lang][f"method_{key}"]
            assert not any(w in raw for w in words.values()), (lang, key)
            said = ("on_track", "acceleration") if key == "no_target_text" else ("r_on_track", "r_acceleration")
            assert all(words[name] in raw.format(**words) for name in said), (lang, key)


def test_the_dashboard_holds_no_threshold_nor_list_of_its_own() -> None:
    assert assessment.ON_TRACK_RATE == method.NO_TARGET_THRESHOLDS[0]
    assert assessment.REASON_ORDER == methode.REASON_CODES == method.REASON_ORDER
    assert assessment.CAVEATS == ("incomplete_values", "target_reference_missing", "target_not_usable")
    assert set(progress.REASONS) == set(method.REASON_ORDER)
    assert [assessment.STYLE[c][0] for c in method.CATEGORIES] == ["★", "✓", "↗", "→", "✗", "?"]
    numbers = re.compile(r"0\.015|0\.005|\b1[,.]5\s?%|\b0[,.]5\s?%|\b95\s?%")
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        assert not numbers.search(path.read_text(encoding="utf-8")), path.name


def test_reasons_and_labels_in_the_interface_come_from_the_method() -> None:
    with using("en"):
        assert assessment.reasons_text("secret,incomplete_values") == (
            "values withheld by statistical secrecy, incomplete base or last value"
        )
    assert assessment.category_label("on_track") == "En bonne voie"
    with using("en"):
        assert assessment.category_label(None) == "Context, no judgement"  # the dashboard's own state


def test_the_readme_states_the_same_thresholds() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    r_on_track, r_acceleration = method.TARGET_THRESHOLDS
    assert f"R ≥ {r_on_track:.2f} on track, ≥ {r_acceleration:.2f} acceleration" in readme
    words = method.thresholds("en")
    assert f"signed CAGR ≥ {words['on_track']} on track, ≥ {words['acceleration']} acceleration needed" in readme
