"""Roster CSV files (header ``nip,name,unit,role,pin[,node]``): parsing with a per-line report.

Used by ``presensi-node roster import`` and ``presensi-central roster import``. Nothing is
imported unless every row is valid, so a file is never half-applied. The optional sixth
column ``node`` names the node that serves the employee (central then gives each node only
its own employees); in the six-column form every row needs one.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from .errors import NIPError, RosterFileError
from .nip import check_nip
from .pins import check_pin_format

HEADER = ["nip", "name", "unit", "role", "pin"]
HEADER_WITH_NODE = [*HEADER, "node"]
NODE_ID_RE = re.compile(r"^[a-z0-9-]{3,40}\Z")
ROLES = ("staff", "head")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RosterRow:
    """One valid row; ``pin`` is the clear PIN or "" when central should generate one."""

    line: int
    nip: str
    name: str
    unit: str
    role: str
    pin: str
    node: str = ""  # the node that serves this employee; "" in the five-column form


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def _clean_text(value: str, what: str, max_len: int) -> str:
    text = unicodedata.normalize("NFC", value.strip())
    if not text:
        raise ValueError(f"{what} is empty")
    if len(text) > max_len:
        raise ValueError(f"{what} is longer than {max_len} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValueError(f"{what} contains control characters")
    return text


def header_problem(header: list[str] | None) -> str:
    """What is wrong with a header line, named: semicolons, missing or unknown columns."""
    expected = f"{','.join(HEADER)} (or {','.join(HEADER_WITH_NODE)})"
    if not header:
        return f"the file is empty; the first line must be the header {expected}"
    if len(header) == 1 and ";" in header[0]:
        return (
            f"the columns are separated by semicolons (;), as Excel does with Indonesian "
            f"settings; separate them with commas: {expected} (save as 'CSV UTF-8 "
            "(Comma delimited)')"
        )
    names = [h.strip().lower() for h in header]
    missing = [h for h in HEADER if h not in names]
    unknown = [h for h in names if h not in HEADER_WITH_NODE]
    parts = []
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown column(s) {', '.join(unknown)}")
    if not parts:
        parts.append("the columns are in another order")
    return f"the header must be {expected}: {'; '.join(parts)}"


def parse_roster_csv(data: bytes, *, allow_empty_pin: bool = False) -> list[RosterRow]:
    """Parse and validate a roster CSV; raise RosterFileError listing every bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterFileError(
            [
                RowProblem(
                    line,
                    (
                        "the file is not UTF-8: it looks like Latin-1 (Windows-1252), as "
                        "Excel's plain 'CSV' saves it; save it again as 'CSV UTF-8 (Comma "
                        "delimited)'"
                    ),
                )
            ]
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[RowProblem] = []
    header = next(reader, None)
    columns = [h.strip().lower() for h in header] if header is not None else None
    if columns not in (HEADER, HEADER_WITH_NODE):
        raise RosterFileError([RowProblem(1, header_problem(header))])
    assert columns is not None
    width = len(columns)
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(RowProblem(line, f"more than {MAX_ROWS} rows"))
            break
        if len(cells) != width:
            problems.append(RowProblem(line, f"expected {width} columns, found {len(cells)}"))
            continue
        nip, name, unit, role, pin, *rest = (c.strip() for c in cells)
        node = rest[0] if rest else ""
        try:
            if rest and not NODE_ID_RE.match(node):
                raise ValueError(
                    "node must be the id of the node serving the employee, such as kec-alalak"
                )
            check_nip(nip)
            name = _clean_text(name, "name", 120)
            unit = _clean_text(unit, "unit", 120)
            if role not in ROLES:
                raise ValueError("role must be staff or head")
            if pin or not allow_empty_pin:
                check_pin_format(pin)
            if nip in seen:
                raise ValueError(f"NIP already appears on line {seen[nip]}")
        except (NIPError, ValueError) as exc:
            problems.append(RowProblem(line, str(exc)))
            continue
        seen[nip] = line
        rows.append(RosterRow(line, nip, name, unit, role, pin, node))
    if problems:
        raise RosterFileError(problems)
    if not rows:
        raise RosterFileError([RowProblem(2, "the file has no employees")])
    return rows
