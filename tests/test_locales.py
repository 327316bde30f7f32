"""The locale files (`dashboard/locales/*.yaml`): the same keys in both languages, and every
key the code asks for exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard import i18n
from dashboard.i18n import using

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
KEYED = {"t", "labelled"}  # the functions whose first argument is a text key


def asked_keys(tree: ast.AST) -> tuple[set[str], set[str]]:
    """The keys a module's code passes to `t`/`labelled`: whole keys (a literal, or either branch of
    `a if c else b`), and the literal prefixes of f-string keys (`f"reason_{code}"` -> "reason_")."""
    keys, prefixes = set(), set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in KEYED:
            continue
        first = node.args[0]
        choices = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
        for arg in choices:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                keys.add(arg.value)
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                prefixes.add(arg.values[0].value)
    return keys, prefixes


def code_keys() -> dict[str, tuple[set[str], set[str]]]:
    return {
        str(path.relative_to(DASHBOARD)): asked_keys(ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(DASHBOARD.rglob("*.py"))
    }


def test_both_languages_have_the_same_keys() -> None:
    assert i18n.locale_gaps(i18n.LOCALES) == []
    # the interface texts are there (the method's category and reason words live in itdd.method)
    assert set(i18n.TEXT["fr"]) == set(i18n.TEXT["en"]) and len(i18n.TEXT["fr"]) > 250
    assert set(i18n.LOCALES["fr"]["units"]) == set(i18n.UNITS_EN)


def test_a_key_in_one_language_only_is_named() -> None:
    # SYNTHETIC locales: English lacks one text, French one unit
    locales = {
        "fr": {"text": {"a": "A", "b": "B"}, "units": {"ha": "ha"}},
        "en": {"text": {"a": "A"}, "units": {"ha": "ha", "km": "km"}},
    }
    assert i18n.locale_gaps(locales) == ["text.b (en lacks it)", "units.km (fr lacks it)"]


def test_every_key_the_code_asks_for_exists() -> None:
    found = code_keys()
    keys = set().union(*(k for k, _ in found.values()))
    prefixes = set().union(*(p for _, p in found.values()))
    assert len(keys) > 150 and {"nf_", "cat_", "level_"} <= prefixes  # the scan sees the code's calls
    missing = {f: sorted(k - set(i18n.TEXT["fr"])) for f, (k, _) in found.items() if k - set(i18n.TEXT["fr"])}
    assert missing == {}
    unmatched = sorted(p for p in prefixes if not any(key.startswith(p) for key in i18n.TEXT["fr"]))
    assert unmatched == []


def test_the_scan_sees_a_missing_key() -> None:
    keys, prefixes = asked_keys(
        ast.parse('t("no_such_key", lang)\nlabelled("a" if x else "b", 1, lang)\nt(f"x_{y}", lang)')
    )
    assert keys == {"no_such_key", "a", "b"} and prefixes == {"x_"}
    assert "no_such_key" not in i18n.TEXT["fr"]


def test_a_locale_file_out_of_step_stops_at_load(monkeypatch, tmp_path: Path) -> None:
    # SYNTHETIC locale files: English lacks "b"
    (tmp_path / "locales").mkdir()
    (tmp_path / "locales" / "fr.yaml").write_text("text: {a: A, b: B}\nunits: {}\n", encoding="utf-8")
    (tmp_path / "locales" / "en.yaml").write_text("text: {a: A}\nunits: {}\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "files", lambda package: tmp_path)
    with pytest.raises(i18n.LocaleError, match=r"text\.b \(en lacks it\)"):
        i18n.load_locales()
    (tmp_path / "locales" / "en.yaml").write_text("text: {a: [A]}\nunits: {}\n", encoding="utf-8")
    with pytest.raises(i18n.LocaleError, match="must map strings to strings"):
        i18n.load_locales()


def test_the_method_prose_states_the_build_thresholds() -> None:
    from itdd.method import thresholds

    assert thresholds("fr") == {
        "on_track": "1,5 %",
        "acceleration": "0,5 %",
        "r_on_track": "95 %",
        "r_acceleration": "60 %",
    }
    with using("en"):
        text = i18n.t("method_no_target_text", **thresholds("en"))
    assert "≥ 1.5 % a year: on track; 0.5 % to 1.5 %" in text and "{" not in text
