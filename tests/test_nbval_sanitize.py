"""The nbval sanitize rules may hide only rounding-sized numbers (below 1e-10), never a result."""

from __future__ import annotations

import configparser
import re

import numpy as np
import pytest

from tests.notebook_files import ROOT

CFG = ROOT / "tests" / "nbval_sanitize.cfg"


def _rules() -> list[tuple[str, re.Pattern[str], str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CFG, encoding="utf-8")
    return [
        (name, re.compile(parser[name]["regex"]), parser[name]["replace"])
        for name in parser.sections()
    ]


def _sanitize(text: str) -> str:
    for _, pattern, replace in _rules():
        text = pattern.sub(replace, text)
    return text


def _renderings(value: float) -> list[str]:
    """The ways a notebook prints a float: f-string formats, repr, NumPy arrays."""
    forms = [f"{value:{spec}}" for spec in (".0e", ".1e", ".2e", ".4e", ".3g", ".4g", ".3f", "")]
    forms += [repr(value), str(np.float64(value)), np.array2string(np.array([value, -value]))]
    return forms


LARGE = [1e-10, 1.5e-10, 1.04e-10, 9.96e-10, 1e-5, 3.2e-7, 0.131, 2.229, 1.0, 42.0, 1e300]
TINY = [9.9e-11, 3.2e-11, 1e-12, 2.1e-16, 5.6e-17, 1.2e-19, 1e-200]


def test_rules_parse_and_include_the_rounding_rule():
    names = [name for name, _, _ in _rules()]
    assert any("rounding" in name for name in names), names


@pytest.mark.parametrize("value", LARGE + [-v for v in LARGE])
def test_no_rule_changes_a_number_of_at_least_1e_10(value):
    for text in _renderings(value):
        for sample in (text, f"max error {text} ✓", f"[{text}, {text}]", f"loss={text}"):
            assert _sanitize(sample) == sample, f"a rule changed {sample!r}"


@pytest.mark.parametrize(
    "sample",
    [
        "1e-5",
        "1.5e-10",
        "0.131",
        "2.229",
        "1e-10",
        "1.0e-10",
        "10.0e-11",
        "12e-11",
        "3.2e-010",
        "0.5e-3",
        "v1.2e-16",
        "1.2e-16x",
        "ipykernel",
        "error 1.1e-09",
    ],
)
def test_strings_that_are_not_rounding_sized_stay(sample):
    assert _sanitize(sample) == sample


@pytest.mark.parametrize("value", TINY + [-v for v in TINY] + [0.0])
def test_rounding_sized_scientific_numbers_are_mapped(value):
    for spec in (".1e", ".2e", ".4e"):
        text = f"{value:{spec}}"
        assert _sanitize(f"max error {text} ✓") == "max error TINY ✓", text


def test_every_match_of_every_rule_is_below_1e_10_when_it_is_a_number():
    rng = np.random.default_rng(0)
    values = 10.0 ** rng.uniform(-30, 5, size=3000) * rng.choice([-1, 1], size=3000)
    text = " ".join(s for v in values for s in _renderings(float(v)))
    for name, pattern, _ in _rules():
        for match in pattern.finditer(text):
            try:
                number = float(match.group())
            except ValueError:
                continue  # not a number (a memory address, a process id)
            assert abs(number) < 1e-10, f"rule {name!r} matched {match.group()!r}"
