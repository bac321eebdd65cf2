"""Pins on hw07's leaderboard: what the module states about its tiers is what it does.

Each test failed on a deliberate change of the code (``>=`` turned into ``>``, a threshold
moved closer to its model's accuracy than the stated margin).
"""

from __future__ import annotations

import pytest

from course_lib.homework import hw07

#: The margins ``course_lib/homework/hw07.py`` states for its thresholds.
BELOW_OWN_MODEL, ABOVE_TIER_BELOW = 0.018, 0.015


@pytest.mark.parametrize("board", ["validation", "test"])
@pytest.mark.parametrize("tier", hw07.TIERS, ids=[t.name for t in hw07.TIERS])
def test_a_tier_is_reached_at_exactly_its_threshold(tier, board):
    threshold = getattr(tier, board)
    assert hw07.tier_reached(threshold, board) == tier
    assert hw07.tier_reached(threshold - 1e-9, board) != tier


@pytest.mark.parametrize("board", ["validation", "test"])
@pytest.mark.parametrize("index", range(len(hw07.TIERS)), ids=[t.name for t in hw07.TIERS])
def test_each_threshold_keeps_the_margins_the_module_states(index, board):
    tier = hw07.TIERS[index]
    threshold = getattr(tier, board)
    _, lowest, _ = hw07.MEASURED[tier.name][board]
    assert lowest - threshold >= BELOW_OWN_MODEL - 1e-9, (tier.name, board)
    if index > 0:
        _, _, highest_below = hw07.MEASURED[hw07.TIERS[index - 1].name][board]
        assert threshold - highest_below >= ABOVE_TIER_BELOW - 1e-9, (tier.name, board)


def test_the_module_states_those_margins():
    text = " ".join(hw07.__doc__.split())
    assert f"at least {BELOW_OWN_MODEL} (6 digits) below its model's lowest accuracy" in text
    assert f"at least {ABOVE_TIER_BELOW} above the highest of the model one tier below" in text
