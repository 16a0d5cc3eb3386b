"""Why a day's deduction is what it is, in Bahasa Indonesia, from the recap engine's own
judgement of the day (``central/recap.py``, a day of the recap JSON). No Flask here.

Nothing is recomputed: the bands, minutes, exception and incident are the engine's; the
percent of a band is read from the rule version that judged the day, and the day's total is
the engine's ``deduction``. A day the engine judges differently tomorrow is explained
differently tomorrow, never contradicted.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .rules import RuleSet

KIND_ID = {
    "cuti": "cuti",
    "izin": "izin",
    "sakit": "sakit",
    "dinas_luar": "dinas luar",
    "tugas_belajar": "tugas belajar",
    "gangguan_teknis": "gangguan teknis",
}
PART_ID = {"day": "sehari penuh", "arrival": "bagian datang", "departure": "bagian pulang"}
STATUS_ID = {
    "hadir": "hadir",
    "TK": "TK (tanpa keterangan)",
    "libur": "libur",
    "exception": "pengecualian",
    "belum": "belum berlalu",
    "tanpa-aturan": "tanpa aturan",
}


def kind_label(kind: str | None) -> str:
    return KIND_ID.get(kind or "", (kind or "").replace("_", " "))


def percent(value: Decimal | str) -> str:
    """``1,25%``: two decimals, a decimal comma, as Indonesian documents write it."""
    text = str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return text.replace(".", ",") + "%"


def _band_percent(rules: RuleSet | None, name: str, missing: bool, late: bool) -> str:
    if rules is None:
        return ""
    if missing:
        value = rules.no_arrival if late else rules.no_departure
    else:
        value = next(
            (b.percent for b in (rules.late if late else rules.early) if b.name == name), Decimal(0)
        )
    return ", " + percent(value)


def _exempt_by(day: dict[str, Any], part: str) -> str | None:
    """What took the ``arrival``/``departure`` part out of the count, if anything."""
    if day.get("exception") and day.get("exception_part") == part:
        return (
            f"pengecualian {kind_label(day['exception'])} yang disetujui "
            f"(nomor {day.get('exception_id')})"
        )
    incident = day.get("incident")
    if incident and part in incident.get("parts", ()):
        return f"gangguan yang disetujui (nomor {incident['id']}: {incident['reason']})"
    return None


def _arrival(day: dict[str, Any], rules: RuleSet | None) -> str:
    grace = rules.grace if rules else 0
    exempt = _exempt_by(day, "arrival")
    if exempt:
        seen = f"datang {day['in']}" if day.get("in") else "tidak ada catatan datang"
        return f"Bagian datang tidak dihitung ({seen}): dikecualikan oleh {exempt}."
    band = day.get("late_band")
    if day.get("in") is None:
        return (
            "Tidak ada catatan datang yang dihitung: dihitung "
            + (band or "TL4")
            + _band_percent(rules, band or "TL4", True, True)
            + "."
        )
    minutes = day.get("late_minutes") or 0
    if band:
        return (
            f"Datang {day['in']}, terlambat {minutes} menit dari jam masuk "
            f"{day['start']}: {band}{_band_percent(rules, band, False, True)}."
        )
    if minutes:
        return (
            f"Datang {day['in']}, terlambat {minutes} menit, masih dalam toleransi "
            f"{grace} menit: tidak dipotong."
        )
    return f"Datang {day['in']}, tepat waktu (jam masuk {day['start']})."


def _departure(day: dict[str, Any], rules: RuleSet | None) -> str:
    grace = rules.grace if rules else 0
    exempt = _exempt_by(day, "departure")
    if exempt:
        seen = f"pulang {day['out']}" if day.get("out") else "tidak ada catatan pulang"
        return f"Bagian pulang tidak dihitung ({seen}): dikecualikan oleh {exempt}."
    band = day.get("early_band")
    if day.get("out") is None:
        return (
            "Tidak ada catatan pulang yang dihitung: dihitung "
            + (band or "PSW4")
            + _band_percent(rules, band or "PSW4", True, False)
            + "."
        )
    minutes = day.get("early_minutes") or 0
    if band:
        return (
            f"Pulang {day['out']}, {minutes} menit sebelum jam pulang {day['end']}: "
            f"{band}{_band_percent(rules, band, False, False)}."
        )
    if minutes:
        return (
            f"Pulang {day['out']}, {minutes} menit lebih awal, masih dalam toleransi "
            f"{grace} menit: tidak dipotong."
        )
    return f"Pulang {day['out']}, tidak sebelum jam pulang {day['end']}."


def explain(day: dict[str, Any], rules: RuleSet | None) -> list[str]:
    """Sentences that say why this day (a day of the recap JSON) costs what it costs; the
    last one names the engine's figure for the day."""
    status = day.get("status")
    total = "Potongan hari ini: " + percent(day["deduction"]) + "."
    notes: list[str] = []
    if day.get("excluded"):
        notes.append(f"{day['excluded']} catatan tidak dihitung (lihat status catatan).")
    if day.get("after_close"):
        notes.append(
            f"{day['after_close']} catatan datang setelah bulan ditutup: belum "
            "dihitung sampai bulan dibuka kembali."
        )
    if status == "libur":
        name = f" ({day['holiday']})" if day.get("holiday") else ""
        return [f"Bukan hari kerja{name}: catatan hanya ditampilkan, tidak dipotong.", *notes]
    if status == "belum":
        return ["Hari ini belum berlalu: belum dihitung."]
    if status == "tanpa-aturan":
        return ["Belum ada versi aturan yang berlaku untuk hari ini: tidak dihitung."]
    if status == "exception":
        return [
            f"Pengecualian {kind_label(day.get('exception'))} sehari penuh yang disetujui "
            f"(nomor {day.get('exception_id')}): menggantikan semua bagian lain.",
            *notes,
            total,
        ]
    if status == "TK":
        return [
            "Hari kerja tanpa catatan yang dihitung dan tanpa pengecualian: TK (tanpa keterangan).",
            *notes,
            total,
        ]
    return [_arrival(day, rules), _departure(day, rules), *notes, total]
