"""The node's serving processes stay small (docs/performance.md, scenario 7: peak RSS of all
node processes at most 150 MB): libraries only a rare page needs load when it is asked for."""

from __future__ import annotations

import subprocess
import sys

from testkit.factories import REPO

# fpdf2 brings fontTools and Pillow (about 25 MB per process); only the printables use it.
LAZY = ("fpdf", "fontTools", "PIL", "openpyxl", "xlsxwriter")


def test_creating_the_node_app_does_not_load_the_pdf_and_spreadsheet_libraries():
    code = (
        "import sys; from local_node import create_app; "
        f"print(','.join(m for m in {LAZY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == ""


def test_a_poster_still_loads_fpdf_when_asked_for():
    from local_node.printables import poster_pdf

    assert poster_pdf("http://192.168.1.10:8080/", "Kecamatan Alalak").startswith(b"%PDF")
