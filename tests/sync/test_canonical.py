"""Our fast canonical encoder produces exactly RFC 8785 bytes (checked against rfc8785)."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.canonical import canonical_bytes
from sync.errors import CanonicalError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_matches_reference_implementation(value):
    assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.5},
        [0.1],
        {"n": 2**53},
        {"n": -(2**53)},
        {1: "x"},
        {"s": "\ud800"},
        {"b": b"x"},
        float("nan"),
    ],
)
def test_refuses_what_records_must_not_hold(value):
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_known_vector():
    # Keys sorted by UTF-16 code units: "\u20ac" (0x20AC) sorts before "\U0001f600" (0xD83D).
    value = {"\U0001f600": 1, "\u20ac": 2, "a": "\u00e9\n\x1f"}
    assert canonical_bytes(value) == '{"a":"\u00e9\\n\\u001f","\u20ac":2,"\U0001f600":1}'.encode()
