"""The NIP (Nomor Induk Pegawai), the 18-digit civil servant number (docs/contract.md section 3).

Layout: birth date YYYYMMDD, appointment YYYYMM, sex digit (1 or 2), three-digit sequence.
"""

from __future__ import annotations

from datetime import date

from .errors import NIPError


def check_nip(nip: object) -> str:
    """Return ``nip`` when it is a plausible NIP, else raise NIPError with the reason."""
    if not isinstance(nip, str) or len(nip) != 18 or not nip.isascii() or not nip.isdigit():
        raise NIPError("NIP must be exactly 18 digits")
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError as exc:
        raise NIPError("NIP digits 1-8 are not a valid birth date") from exc
    if not 1940 <= born.year <= 2010:
        raise NIPError("NIP birth year is implausible")
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise NIPError("NIP digits 13-14 are not an appointment month")
    if year < born.year + 15 or year > 2100:
        raise NIPError("NIP appointment year is implausible for the birth date")
    if nip[14] not in "12":
        raise NIPError("NIP digit 15 (sex) must be 1 or 2")
    return nip
