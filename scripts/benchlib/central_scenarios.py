"""Scenarios against central: 3 ingest (4 WAN bytes, 5 drain, 6 freshness to follow).

``available()`` is False until central/ provides an app and the ``presensi-central`` command;
``scripts/bench`` then skips this group.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .context import Context, ScenarioResult

REPO = Path(__file__).resolve().parents[2]


def available() -> bool:
    return (REPO / "central" / "__init__.py").exists() and (
        shutil.which("presensi-central") is not None
        or (REPO / ".venv" / "bin" / "presensi-central").exists())


def run(ctx: Context) -> list[ScenarioResult]:
    return []
