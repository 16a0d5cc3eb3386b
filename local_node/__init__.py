"""The office node: a Flask app over a signed, hash-chained SQLite log.

``create_app`` lives in ``local_node.app`` and is loaded on first use, so processes that
only need a part of the node (the log writer process, the command line, the server's
supervisor) do not import Flask and every page module: each costs resident memory on the
mini-PC (docs/performance.md, eighth round).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
