"""Sample rosters for the demo, tests and benchmarks: plausible ASN of Barito Kuala.

Names follow common Banjar naming; units are those of a kecamatan office. NIPs are
well-formed (birth date, appointment month, sex digit, sequence). Deterministic for a seed.
"""

from __future__ import annotations

import csv
import io
import random

MALE = [
    "Muhammad",
    "Ahmad",
    "Abdul",
    "Rahmadi",
    "Gusti",
    "Syahrani",
    "Fauzan",
    "Hendra",
    "Rizky",
    "Noor",
    "Arbain",
    "Saukani",
    "Taufik",
    "Yusuf",
    "Hairil",
    "Wahyudi",
    "Riduan",
    "Mahmud",
    "Aidil",
    "Fahrurrazi",
    "Zainal",
    "Jailani",
    "Anwar",
    "Rusdi",
]
FEMALE = [
    "Siti",
    "Noor",
    "Fitriani",
    "Rahmah",
    "Hairiah",
    "Nurul",
    "Aulia",
    "Rabiatul",
    "Maulida",
    "Norhasanah",
    "Lailatul",
    "Husna",
    "Mariana",
    "Yuliani",
    "Rusmiati",
    "Nor Aini",
    "Halimah",
    "Salasiah",
    "Fatimah",
    "Raudah",
    "Erna",
    "Normila",
]
FAMILY = [
    "Hidayat",
    "Rahman",
    "Syarifuddin",
    "Fadillah",
    "Hasanah",
    "Aini",
    "Ramadhan",
    "Saputra",
    "Rahmawati",
    "Maulana",
    "Hakim",
    "Kurniawan",
    "Suryani",
    "Mahdi",
    "Fahmi",
    "Ansyari",
    "Bahrani",
    "Hamdani",
    "Rifani",
    "Sarbaini",
    "Zakiah",
    "Iskandar",
]
UNITS = [
    "Sekretariat Kecamatan Alalak",
    "Seksi Pemerintahan",
    "Seksi Ekonomi dan Pembangunan",
    "Seksi Kesejahteraan Sosial",
    "Seksi Ketenteraman dan Ketertiban Umum",
    "Kelurahan Berangas",
    "Kelurahan Handil Bakti",
    "Puskesmas Berangas",
    "UPT Pendidikan Alalak",
]


def make_roster(count: int, *, seed: int = 7) -> list[dict[str, str]]:
    """``count`` employees as dicts with nip, name, unit, role, pin (the clear PIN)."""
    rng = random.Random(seed)
    people: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(people) < count:
        sex = rng.choice("12")
        year = rng.randint(1965, 1998)
        born = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        appointed = f"{rng.randint(year + 22, min(year + 35, 2024))}{rng.randint(1, 12):02d}"
        nip = f"{born}{appointed}{sex}{rng.randint(1, 999):03d}"
        if nip in seen:
            continue
        seen.add(nip)
        first = rng.choice(MALE if sex == "1" else FEMALE)
        name = f"{first} {rng.choice(FAMILY)}"
        if rng.random() < 0.15:
            name += rng.choice([", S.Sos", ", S.E.", ", S.Kep", ", A.Md", ", S.Pd", ", S.T."])
        unit = UNITS[len(people) % len(UNITS)]
        role = "head" if len(people) < len(UNITS) else "staff"
        people.append(
            {
                "nip": nip,
                "name": name,
                "unit": unit,
                "role": role,
                "pin": f"{rng.randint(0, 999999):06d}",
            }
        )
    return people


def roster_csv(people: list[dict[str, str]]) -> bytes:
    """The roster as CSV bytes with the header nip,name,unit,role,pin."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["nip", "name", "unit", "role", "pin"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(people)
    return out.getvalue().encode("utf-8")
