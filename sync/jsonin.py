"""Reading JSON that arrives from outside (request bodies of both apps), strictly.

Python's ``json`` accepts two things our code cannot use: nesting deep enough to exhaust the
recursion limit (``[[[[...`` 1,000 deep raises RecursionError, a 500), and lone UTF-16
surrogates (``"x\\ud800y"`` parses to a str that cannot be encoded as UTF-8, so storing,
signing or answering with it fails later, another 500). ``loads`` refuses both up front with
a ``JsonInputError`` that says which; callers turn it into a 400.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import JsonInputError

__all__ = ["MAX_DEPTH", "JsonInputError", "loads"]

# No request body of either app nests more than a few levels (a record in a batch: 4).
MAX_DEPTH = 32
# json.loads joins a valid surrogate pair into one code point, so any surrogate left is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(data: bytes | str) -> Any:
    """Parse ``data`` as JSON; JsonInputError when it is not valid UTF-8 JSON, is nested
    more than MAX_DEPTH levels, or holds a lone surrogate in any string or key."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise JsonInputError(f"JSON is nested too deeply (at most {MAX_DEPTH} levels)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonInputError(f"request body is not valid JSON ({exc})") from exc
    _check(value)
    return value


def _check(value: Any) -> None:
    """Walk ``value`` without recursion: depth and lone surrogates."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise JsonInputError(
                    "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff); "
                    "send valid Unicode text"
                )
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise JsonInputError(f"JSON is nested too deeply (at most {MAX_DEPTH} levels)")
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, depth))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
