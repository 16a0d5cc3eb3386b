"""One row of the fault table, and the table as text and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FaultRow:
    """What one scenario showed.

    ``acknowledged`` counts what was promised (check-ins answered 201, or for the roster and
    backup rows: installs and backups the command reported done). ``lost`` is what was promised
    but is missing afterwards (at central, or on the node where central is not involved);
    ``duplicated`` is what central holds more than once. ``attempts``/``detected`` count
    tamperings (tampering rows) or invariant checks that must trip (the other rows leave
    them 0). ``notes`` holds scenario-specific numbers (latencies, pushes, outcomes).
    """

    fault: str
    rounds: int = 0
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    attempts: int = 0
    detected: int = 0
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and self.lost == 0
            and self.duplicated == 0
            and self.detected == self.attempts
        )

    def detected_text(self) -> str:
        return f"{self.detected}/{self.attempts}" if self.attempts else "-"

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["ok"] = self.ok
        return doc


def _notes_text(notes: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in notes.items())


def table(rows: list[FaultRow], *, with_notes: bool = True) -> str:
    """A GitHub-flavoured Markdown table, one line per row."""
    head = ["fault", "rounds", "records acknowledged", "lost", "duplicated", "detected", "time"]
    if with_notes:
        head.append("notes")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        cells = [
            r.fault,
            str(r.rounds),
            str(r.acknowledged),
            str(r.lost),
            str(r.duplicated),
            r.detected_text(),
            f"{r.seconds:.0f} s",
        ]
        if with_notes:
            cells.append(
                _notes_text(r.notes)
                + ("; PROBLEMS: " + "; ".join(r.problems) if r.problems else "")
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: Path, rows: list[FaultRow], meta: dict[str, Any]) -> None:
    doc = {**meta, "rows": [r.as_json() for r in rows], "ok": all(r.ok for r in rows)}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
