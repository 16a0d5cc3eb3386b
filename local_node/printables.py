"""The poster for the notice board and the staff cards, as PDF (fpdf2) or SVG (segno).

- Poster (A4): the node's address as a large QR code, the address in text, three steps in
  Bahasa Indonesia and the office's name.
- Cards (A4, 8 per page, cut along the lines): name, NIP, unit and a QR code that opens the
  staff page's "Absen untuk rekan" form with the NIP filled in (``/?rekan=NIP``): a colleague
  scans the card of someone whose phone is dead and only the owner's PIN is left to type.

QR codes are drawn as vector rectangles, so they stay sharp at any print size. The PDF core
fonts cover Latin-1 only; other characters are replaced by their closest Latin-1 form.

No Flask here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import segno

from sync.timefmt import WITA

from .roster import Employee

if TYPE_CHECKING:
    from fpdf import FPDF

STEPS = (
    "Sambungkan HP ke Wi-Fi kantor.",
    "Pindai kode QR ini dengan kamera HP, atau ketik alamat di bawahnya di peramban.",
    "Masuk sekali dengan NIP dan PIN, lalu tekan Datang atau Pulang.",
)


def _latin1(text: str) -> str:
    """``text`` in the PDF core fonts' Latin-1, with accents kept where Latin-1 has them."""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Draw ``data`` as a QR code (with its quiet zone) in a ``size`` mm square at x, y."""
    qr = segno.make(data, error="m", micro=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(
                    x + start * module, y + r * module, (c - start) * module, module, style="F"
                )
            else:
                c += 1


def _new_pdf(title: str) -> FPDF:
    # fpdf2 (with fontTools and Pillow, about 25 MB) loads only when a PDF is asked for:
    # every node process imports this module, few ever print.
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(_latin1(title))
    pdf.set_creator("Smart Presensi")
    # A fixed date keeps equal inputs giving equal files.
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=WITA))
    return pdf


def poster_pdf(url: str, office: str) -> bytes:
    """The A4 poster: office name, a large QR code of ``url``, the address, three steps."""
    pdf = _new_pdf(f"Presensi {office}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 30)
    pdf.set_xy(15, 18)
    pdf.multi_cell(180, 13, _latin1(f"Presensi {office}"), align="C")
    pdf.set_font("Helvetica", "", 15)
    pdf.set_x(15)
    pdf.multi_cell(180, 8, "Absen datang dan pulang dari HP Anda", align="C")
    _qr(pdf, url, 45, 62, 120)
    pdf.set_xy(15, 186)
    pdf.set_font("Courier", "B", 22)
    pdf.multi_cell(180, 11, _latin1(url), align="C")
    pdf.set_font("Helvetica", "", 15)
    y = 212.0
    for number, step in enumerate(STEPS, 1):
        pdf.set_xy(25, y)
        pdf.set_font("Helvetica", "B", 18)
        pdf.cell(12, 9, f"{number}.")
        pdf.set_font("Helvetica", "", 15)
        pdf.set_xy(37, y)
        pdf.multi_cell(150, 8, _latin1(step))
        y = pdf.get_y() + 5
    pdf.set_xy(15, 282)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        180,
        5,
        "HP mati? Minta rekan membuka 'Absen untuk rekan', atau lapor ke kepala unit.",
        align="C",
    )
    return bytes(pdf.output())


def poster_svg(url: str, office: str) -> str:
    """The same poster as an A4 SVG (210 x 297 mm), for printing from any browser."""
    qr = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    module = 120 / len(rows)
    rects = []
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                rects.append(
                    f'<rect x="{45 + c * module:.3f}" y="{62 + r * module:.3f}" '
                    f'width="{module:.3f}" height="{module:.3f}"/>'
                )
    steps = "".join(
        f'<text x="25" y="{222 + i * 16}" font-size="6.5">{i + 1}. {escape(step)}</text>'
        for i, step in enumerate(STEPS)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" '
        'viewBox="0 0 210 297" font-family="sans-serif">'
        '<rect width="210" height="297" fill="#fff"/>'
        f'<text x="105" y="32" font-size="12" font-weight="bold" text-anchor="middle">'
        f"Presensi {escape(office)}</text>"
        '<text x="105" y="48" font-size="6.5" text-anchor="middle">'
        "Absen datang dan pulang dari HP Anda</text>"
        f'<g fill="#000">{"".join(rects)}</g>'
        f'<text x="105" y="198" font-size="9" font-family="monospace" font-weight="bold" '
        f'text-anchor="middle">{escape(url)}</text>{steps}</svg>\n'
    )


def card_url(base: str, nip: str) -> str:
    """Where a staff card's QR code leads: the "Absen untuk rekan" form with the NIP in it."""
    return f"{base.rstrip('/')}/?rekan={nip}"


CARD_W, CARD_H = 90.0, 60.0
MARGIN_X, MARGIN_Y = 12.0, 20.0


def cards_pdf(employees: Sequence[Employee], base: str, office: str) -> bytes:
    """One card per employee, 2 x 4 on each A4 page, with cut lines."""
    pdf = _new_pdf(f"Kartu presensi {office}")
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    for index, emp in enumerate(employees):
        slot = index % 8
        if slot == 0:
            pdf.add_page()
        x = MARGIN_X + (slot % 2) * (CARD_W + 6)
        y = MARGIN_Y + (slot // 2) * (CARD_H + 6)
        pdf.rect(x, y, CARD_W, CARD_H)
        pdf.set_xy(x + 4, y + 4)
        pdf.set_font("Helvetica", "B", 7)
        pdf.cell(CARD_W - 8, 4, _latin1(f"Presensi {office}"))
        pdf.set_xy(x + 4, y + 11)
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(44, 5, _latin1(emp.name))
        pdf.set_xy(x + 4, pdf.get_y() + 1)
        pdf.set_font("Courier", "", 8)
        pdf.cell(44, 4, f"NIP {emp.nip}")
        pdf.set_xy(x + 4, pdf.get_y() + 5)
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(44, 4, _latin1(emp.unit))
        pdf.set_xy(x + 4, y + CARD_H - 10)
        pdf.set_font("Helvetica", "", 6)
        pdf.multi_cell(
            44,
            3,
            "HP mati? Rekan memindai kode ini: Absen untuk rekan, lalu "
            "Anda ketik PIN Anda sendiri.",
        )
        _qr(pdf, card_url(base, emp.nip), x + CARD_W - 42, y + 10, 40)
    if not employees:
        pdf.add_page()
    return bytes(pdf.output())
