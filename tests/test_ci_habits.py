"""The habits CI enforces: a browser test that skips in CI fails; lint and types run first."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SHARED_ABSENT, skip_fails

ROOT = Path(__file__).resolve().parent.parent


def test_a_browser_skip_fails_in_ci_only():
    assert skip_fails(ci=True, browser=True, reason="needs /usr/bin/chromium and /usr/bin/chromedriver")
    assert skip_fails(ci=True, browser=True, reason="axe-core absent (.cache/npm/…); .ci/run installs it")
    assert not skip_fails(ci=False, browser=True, reason="needs /usr/bin/chromium and /usr/bin/chromedriver")
    assert not skip_fails(ci=True, browser=False, reason="needs /usr/bin/chromium and /usr/bin/chromedriver")


def test_the_shared_mirror_may_be_absent_in_ci():
    assert not skip_fails(ci=True, browser=True, reason=SHARED_ABSENT)


def test_ci_lints_and_type_checks_before_the_readme_tests():
    script = (ROOT / ".ci" / "run").read_text()
    steps = [script.index(step) for step in ("\nruff check .", "\nruff format --check .", "\nmypy", "export CI=1")]
    assert steps == sorted(steps)
    assert steps[-1] < script.index('bash -c "$test_command"')
    hooks = (ROOT / ".pre-commit-config.yaml").read_text()
    assert all(f"entry: {tool}\n" in hooks for tool in ("ruff check", "ruff format --check", "mypy"))
