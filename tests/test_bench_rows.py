"""The benchmark table judges targets on exact figures; rounding is only for display."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.benchlib.context import ScenarioResult


@pytest.mark.parametrize(
    ("value", "kwargs", "shown", "target", "met"),
    [
        # 0.996 of one core is not "more than one core's worth", though it shows as 1.0.
        (0.996, {"more_than": 1.0, "digits": 2}, 1.0, "> 1", False),
        (1.004, {"more_than": 1.0, "digits": 2}, 1.0, "> 1", True),
        # A ratio of 0.497 shows as 0.5 and still misses ">= 0.5".
        (0.497, {"at_least": 0.5, "digits": 2}, 0.5, ">= 0.5", False),
        (0.5, {"at_least": 0.5, "digits": 2}, 0.5, ">= 0.5", True),
        (150.04, {"at_most": 150, "digits": 1}, 150.0, "<= 150", False),
        (113.6, {"at_most": 160, "digits": 0}, 114, "<= 160", True),
        (7, {}, 7, "", None),
    ],
)
def test_targets_are_judged_before_rounding(
    value: float, kwargs: dict[str, Any], shown: float, target: str, met: bool | None
) -> None:
    result = ScenarioResult("k", "title")
    result.row("figure", value, "", **kwargs)
    row = result.rows[0]
    assert (row.value, row.target, row.met) == (shown, target, met)
    assert type(row.value) is type(shown)
