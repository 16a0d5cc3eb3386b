"""The poster and the staff cards (issue 18, item 2), read back: text with pypdf and
pdftotext, QR codes rendered with pdftoppm and decoded with zbarimg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from local_node.datadir import NodePaths
from testkit.factories import run_cli

URL = "http://192.168.7.20:8080"


def qr_codes(pdf: Path, page: int = 1) -> list[str]:
    """Every QR code zbarimg finds on one page of ``pdf`` rendered at 150 dpi."""
    png = pdf.with_name(f"{pdf.stem}-{page}")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(png),
        ],
        check=True,
        timeout=60,
    )
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png) + ".png"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode in (0, 4), found.stderr  # 4: no code found
    return sorted(found.stdout.split())


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_poster_pdf_has_the_address_as_qr_and_text_and_three_steps(
    node_paths: NodePaths, roster: list[dict[str, str]], tmp_path: Path
) -> None:
    run_cli(
        "local_node",
        "config",
        "set",
        "display-name",
        "Kecamatan Alalak",
        "--data",
        str(node_paths.root),
    )
    out = tmp_path / "poster.pdf"
    done = run_cli(
        "local_node", "poster", "--data", str(node_paths.root), "--out", str(out), "--url", URL
    )
    assert str(out) in done.stdout
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
        210,
        297,
    )  # A4
    text = pdf_text(out)
    assert "Presensi Kecamatan Alalak" in text
    assert URL + "/" in text
    for step in ("1.", "2.", "3.", "Wi-Fi kantor", "NIP dan PIN"):
        assert step in text
    assert qr_codes(out) == [URL + "/"]


def test_poster_svg_carries_the_same_address(node_paths: NodePaths, tmp_path: Path) -> None:
    out = tmp_path / "poster.svg"
    run_cli("local_node", "poster", "--data", str(node_paths.root), "--out", str(out), "--url", URL)
    svg = out.read_text()
    assert svg.startswith("<svg") and 'width="210mm" height="297mm"' in svg
    assert URL + "/" in svg and "kec-alalak" in svg
    # Its QR code is decoded after Chromium renders it (test_admin_page_browser.py).


def test_cards_one_per_employee_with_a_qr_that_opens_absen_untuk_rekan(
    node_paths: NodePaths, roster: list[dict[str, str]], tmp_path: Path
) -> None:
    unit = roster[0]["unit"]
    members = [p for p in roster if p["unit"] == unit]
    out = tmp_path / "cards.pdf"
    done = run_cli(
        "local_node",
        "cards",
        "--data",
        str(node_paths.root),
        "--unit",
        unit,
        "--out",
        str(out),
        "--url",
        URL,
    )
    assert f"{len(members)} cards" in done.stdout
    text = pdf_text(out)
    for person in members:
        assert person["nip"] in text
        assert person["name"].split()[0] in text
    others = [p for p in roster if p["unit"] != unit]
    assert all(p["nip"] not in text for p in others)
    pages = len(PdfReader(out).pages)
    assert pages == -(-len(members) // 8)
    codes = [code for page in range(1, pages + 1) for code in qr_codes(out, page)]
    assert sorted(codes) == sorted(f"{URL}/?rekan={p['nip']}" for p in members)


@pytest.mark.parametrize(
    "args, says",
    [
        (["cards", "--unit", "Tidak Ada", "--out", "OUT/c.pdf"], "no employees in unit"),
        (["cards", "--unit", "X", "--out", "OUT/c.txt"], "must end in .pdf"),
        (["poster", "--out", "OUT/p.png"], "must end in .pdf or .svg"),
        (["poster", "--out", "OUT/missing/p.pdf"], "does not exist"),
        (["poster", "--out", "OUT/p.pdf", "--url", "ftp://x"], "is not an address"),
    ],
)
def test_bad_poster_and_cards_arguments(
    node_paths: NodePaths, roster: list[dict[str, str]], tmp_path: Path, args: list[str], says: str
) -> None:
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    done = run_cli("local_node", *args, "--data", str(node_paths.root), check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.pdf"))
