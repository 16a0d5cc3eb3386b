"""Rule files: the example parses, every mistake is refused naming its field, versions are
kept and picked by unit and effective date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from central.rules import RuleBook, RuleError, parse_rules

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "rules-example.toml").read_text()


def test_example_parses_with_decimals() -> None:
    rules = parse_rules(EXAMPLE)
    assert rules.id == "contoh-perbup-2026" and rules.units is None
    assert rules.late[2].percent == Decimal("1.25") and type(rules.late[2].percent) is Decimal
    assert rules.no_arrival == Decimal("1.5") and rules.absent == Decimal("3.0")
    assert rules.weight == 40 and rules.cap == 100
    assert rules.discipline.minutes_per_day == 450 and rules.discipline.consecutive_days == 10
    assert rules.discipline.levels[0] == (3, "teguran lisan")
    assert rules.hours_on(date(2026, 10, 3)) is None  # Saturday
    assert rules.hours_on(date(2026, 12, 25)) is None  # Natal
    assert "CONTOH" in EXAMPLE.splitlines()[0]


def _edit(old: str, new: str) -> str:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new, 1)


@pytest.mark.parametrize(
    "text,field",
    [
        ("id = [", "not valid TOML"),
        (_edit('id = "contoh-perbup-2026"', 'id = "contoh perbup"'), "id:"),
        (_edit('id = "contoh-perbup-2026"', ""), "id: is required"),
        (_edit('effective_from = "2026-01-01"', 'effective_from = "2026-02-30"'), "effective_from"),
        (
            _edit("tpp_attendance_weight = 40", "tpp_attendance_weight = 140"),
            "tpp_attendance_weight",
        ),
        (_edit("monthly_cap = 100", 'monthly_cap = "banyak"'), "monthly_cap"),
        (_edit('mon = "07:30-16:00"', 'mon = "7.30-16"'), "week.mon"),
        (_edit('tue = "07:30-16:00"', 'tue = "16:00-07:30"'), "week.tue"),
        (_edit("[week]", '[week]\nfunday = "08:00-09:00"'), "week: unknown key"),
        (_edit("grace_minutes = 0", "grace_minute = 0"), "deductions: unknown key(s) grace_minute"),
        (_edit("grace_minutes = 0", "grace_minutes = -1"), "deductions.grace_minutes"),
        (
            _edit("late  = [[1, 30, 0.5], [31, 60, 1.0]", "late  = [[1, 30, 0.5], [32, 60, 1.0]"),
            "deductions.late[1]",
        ),
        (_edit("late  = [[1, 30, 0.5]", "late  = [[1, 30]"), "deductions.late[0]"),
        (_edit("early = [[1, 30, 0.5]", "early = [[0, 30, 0.5]"), "deductions.early[0] from"),
        (_edit("no_arrival = 1.5", ""), "deductions.no_arrival: is required"),
        (_edit("absent = 3.0", "absent = true"), "deductions.absent"),
        (_edit("cuti = 0", "Cuti-Besar = 0"), "exceptions.Cuti-Besar"),
        (_edit("levels = [[3,", 'levels = [[5, "x"], [3,'), "discipline.levels[1]"),
        (
            _edit(
                'from = "2026-02-18"\nto = "2026-03-19"', 'from = "2026-03-18"\nto = "2026-02-19"'
            ),
            "overrides[0].to",
        ),
        (_edit('date = "2026-12-25"', 'date = "25-12-2026"'), "holidays[0].date"),
        (_edit("monthly_cap = 100", "monthly_cap = 100\nweigth = 3"), "unknown key(s) weigth"),
        (_edit('# units = ["UPT Pendidikan Alalak"]', "units = []"), "units"),
    ],
)
def test_bad_rule_files_name_the_field(text: str, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text)
    assert field in str(caught.value)


def _rules_id(book: RuleBook, unit: str, day: date) -> str:
    rules = book.for_day(unit, day)
    assert rules is not None, (unit, day)
    return rules.id


def test_version_choice_by_unit_and_date() -> None:
    base = parse_rules(EXAMPLE)
    newer = replace(base, id="perbup-okt", effective_from=date(2026, 10, 15), version=2)
    school = replace(
        base,
        id="sekolah",
        units=frozenset({"SDN 1 Alalak"}),
        effective_from=date(2026, 7, 1),
        version=3,
    )
    book = RuleBook([replace(base, version=1), newer, school])
    assert _rules_id(book, "Sekretariat", date(2026, 10, 14)) == base.id
    assert _rules_id(book, "Sekretariat", date(2026, 10, 15)) == "perbup-okt"
    assert _rules_id(book, "SDN 1 Alalak", date(2026, 10, 20)) == "sekolah"
    assert _rules_id(book, "SDN 1 Alalak", date(2026, 6, 30)) == base.id
    assert book.for_day("Sekretariat", date(2025, 12, 31)) is None
    # A later import with the same effective date wins the tie.
    fix = replace(base, id="perbup-okt-ralat", effective_from=date(2026, 10, 15), version=4)
    book = RuleBook([replace(base, version=1), newer, fix])
    assert _rules_id(book, "Sekretariat", date(2026, 10, 20)) == "perbup-okt-ralat"
