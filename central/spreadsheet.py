"""Attendance for spreadsheets: cells that cannot run, NIPs that stay text. No Flask here.

A CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel, LibreOffice and
Google Sheets (``=HYPERLINK(...)`` leaks data when clicked, ``-2+3+cmd|' /C calc'!A0`` ran
programs in old Excel); so do a leading tab or carriage return after some importers strip
them. Names and units come from roster files and a lying node can sign any NIP, so every such
cell is written with a leading ``'`` (OWASP's advice). An 18-digit NIP would become a number
(1.98509E+17, the last digits lost), so the ``nip`` cell gets the same leading ``'``: text in
every spreadsheet. A program reading the CSV drops one leading ``'``.

``format=xlsx`` writes a real workbook instead, every cell typed as text where it is text: no
prefix is needed there and nothing in it is a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell: text, with ``'`` in front of anything a spreadsheet would evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def nip_cell(value: Any) -> str:
    """The NIP cell: ``'`` in front of any digit string, so it stays text; else ``csv_cell``."""
    text = "" if value is None else str(value)
    return "'" + text if text.isascii() and text.isdigit() else csv_cell(text)


def xlsx_bytes(header: list[str], rows: Iterable[list[Any]], *, title: str) -> bytes:
    """A one-sheet workbook; strings are always text cells (never formulas), ints numbers."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(header)
    for values in rows:
        sheet.append([None] * len(values))
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=sheet.max_row, column=column)
            if isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
            elif value is not None:
                # Assigning a str starting with "=" makes openpyxl write a formula: set the
                # value, then force the type back to a plain string.
                cell.value = str(value)
                cell.data_type = TYPE_STRING
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
