"""The attendance rate per unit over a month, from the recap engine (``central/recap.py`` via
``recap_close.recap``, the same figures as ``GET /api/v1/recap``): per unit the employees'
working days, days present, days absent without reason (TK), exception days, the rate (days
present / working days) and the mean attendance share of TPP. No Flask; the arithmetic of each
employee's month stays in the recap, here only sums per unit.

A page shows it with ``{% include "_month_rates.html" %}`` given ``month_rates =
month_rates_view(...)``: the picture and its text table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import charts
from .accounts import Principal
from .recap_close import recap
from .reports import ReportSettings
from .store.protocol import CentralStore

Translate = Callable[[str], str]


@dataclass(frozen=True)
class UnitRate:
    unit: str
    employees: int
    working_days: int  # summed over the unit's employees
    present_days: int
    absent_days: int
    exception_days: int
    rate: Decimal  # present / working x 100, one decimal (0 with no working day)
    mean_share: Decimal  # mean attendance_percent (share of TPP), two decimals


def unit_rates(result: dict[str, Any]) -> list[UnitRate]:
    """Per unit (by name) from a recap result (Contract fields)."""
    units: dict[str, list[dict[str, Any]]] = {}
    for emp in result["employees"]:
        units.setdefault(emp["unit"] or "-", []).append(emp)
    out = []
    for unit, emps in sorted(units.items()):
        working = sum(e["working_days"] for e in emps)
        present = sum(e["present_days"] for e in emps)
        rate = (Decimal(present) * 100 / working) if working else Decimal(0)
        share = sum((Decimal(e["attendance_percent"]) for e in emps), Decimal(0)) / len(emps)
        out.append(
            UnitRate(
                unit=unit,
                employees=len(emps),
                working_days=working,
                present_days=present,
                absent_days=sum(e["absent_days"] for e in emps),
                exception_days=sum(sum(e["exception_days"].values()) for e in emps),
                rate=rate.quantize(Decimal("0.1"), ROUND_HALF_UP),
                mean_share=share.quantize(Decimal("0.01"), ROUND_HALF_UP),
            )
        )
    return out


def rates_chart(rates: list[UnitRate], month: str, *, tr: Translate) -> Any:
    return charts.rate_chart(
        [(r.unit, float(r.rate)) for r in rates],
        ident="month-rates",
        title=tr("Tingkat kehadiran per unit kerja, %(month)s") % {"month": month},
        desc=tr(
            "Batang per unit kerja: hari hadir dibagi hari kerja pegawainya, dalam persen "
            "(0 sampai 100)."
        )
        + " "
        + tr("Angkanya ada di tabel sesudah gambar."),
    )


def month_rates_view(
    store: CentralStore,
    month: str,
    *,
    today: date,
    settings: ReportSettings,
    who: Principal,
    tr: Translate,
) -> dict[str, Any]:
    """What ``templates/_month_rates.html`` shows for ``month`` (only the units ``who``
    may see). Raises ApiError for a bad month or when no rule set is imported."""
    result = recap(store, month, today=today, settings=settings)
    visible = {
        **result,
        "employees": [e for e in result["employees"] if who.sees_unit(e.get("unit"))],
    }
    rates = unit_rates(visible)
    return {
        "month": month,
        "rows": rates,
        "final": result["final"],
        "rules": result["rules"],
        "chart": rates_chart(rates, month, tr=tr),
    }
