"""``ingest.TimeBounds`` (string comparisons) flags exactly what ``out_of_bounds`` flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from central.ingest import TimeBounds, out_of_bounds
from sync.timefmt import format_ts, parse_ts

base = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
# Timestamps clustered around the bounds, where an off-by-one would show.
near = st.integers(-10_000, 10_000).map(lambda ms: format_ts(base + timedelta(milliseconds=ms)))
tolerances = st.sampled_from([0.0, 0.001, 0.5, 2.0, 2.0005, 60.0])


@settings(max_examples=1000, deadline=None)
@given(
    ts=st.lists(near, min_size=1, max_size=20),
    lower=st.none() | near,
    upper=near,
    tolerance=tolerances,
)
def test_same_verdicts_as_out_of_bounds(ts, lower, upper, tolerance):
    bounds = TimeBounds(upper, tolerance)
    for stamp in ts:
        assert bounds.outside(stamp, lower) == out_of_bounds(stamp, lower, upper, tolerance)


def test_edges_with_the_default_tolerance():
    upper = "2026-11-28T00:00:10.000Z"
    bounds = TimeBounds(upper, 2.0)
    assert not bounds.outside("2026-11-28T00:00:12.000Z", None)
    assert bounds.outside("2026-11-28T00:00:12.001Z", None)
    lower = "2026-11-28T00:00:05.000Z"
    assert not bounds.outside("2026-11-28T00:00:03.000Z", lower)
    assert bounds.outside("2026-11-28T00:00:02.999Z", lower)
    # A new lower bound (a later anchor in the same batch) is taken into account.
    assert bounds.outside("2026-11-28T00:00:04.000Z", "2026-11-28T00:00:07.000Z")
    assert parse_ts(upper) - parse_ts(lower) == timedelta(seconds=5)
