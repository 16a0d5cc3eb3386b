"""docs/architecture.md names real things: every module.function hop resolves and every file
it names exists, so a rename that forgets the page fails here."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGE = (REPO / "docs/architecture.md").read_text(encoding="utf-8")
CODE = re.findall(r"`([^`\s]+)`", PAGE)
DOTTED = sorted({c for c in CODE if re.fullmatch(r"(local_node|central|sync|certs)(\.\w+)+", c)})
FILES = sorted({c for c in CODE if re.fullmatch(r"[\w./-]+\.(py|yaml|md)", c) and "/" in c})


def test_the_page_names_both_paths():
    assert len(DOTTED) > 30 and len(FILES) > 5


@pytest.mark.parametrize("name", DOTTED)
def test_each_named_hop_exists(name: str) -> None:
    parts = name.split(".")
    # The longest importable prefix is the module; the rest are attributes of it.
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return
    pytest.fail(f"{name} does not resolve")


@pytest.mark.parametrize("path", FILES)
def test_each_named_file_exists(path: str) -> None:
    assert (REPO / path).exists(), path
