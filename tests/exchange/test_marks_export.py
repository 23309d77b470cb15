"""CSV and XLSX writing of the marks table: Excel-friendly, formula-safe, atomic."""

from __future__ import annotations

import csv
import datetime as dt
import errno
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

from livret.domain.errors import ValidationError
from livret.exchange.marks_export import (
    french_decimal,
    neutralise,
    write_marks_csv,
    write_marks_xlsx,
)

HEADER = ("INE", "nom", "prénom", "classe", "note", "date du bilan", "nombre de NE")
DANGEROUS = [
    '=HYPERLINK("http://evil.example","clic")',
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
ROWS = [
    ("0000000001A", "Lefèvre", "Chloé", "1PLP1", Decimal("13.5"), dt.date(2026, 3, 20), 2),
    ("0000000002B", "Œuvray", "Noël", "1PLP1", Decimal("14"), dt.date(2026, 3, 5), 0),
    ("0000000003C", "Zidane", "Léa", "1PLP1", None, None, None),
    *[
        (f"00000000{index:02d}X", text, text, "1PLP1", Decimal("0.0"), dt.date(2025, 12, 1), 13)
        for index, text in enumerate(DANGEROUS, start=10)
    ],
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_neutralise_prefixes_formula_triggers(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Lefèvre", "", "13,5", "Jean-Pierre", " =x", "'déjà"])
def test_neutralise_leaves_plain_text(text: str) -> None:
    assert neutralise(text) == text


def test_french_decimal() -> None:
    assert french_decimal(Decimal("13.5")) == "13,5"
    assert french_decimal(Decimal("14")) == "14"
    assert french_decimal(Decimal("14.0")) == "14,0"
    assert french_decimal(Decimal("0.0")) == "0,0"


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    write_marks_csv(path, HEADER, ROWS)

    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    assert lines[0].decode("utf-8-sig") == "INE;nom;prénom;classe;note;date du bilan;nombre de NE"
    assert lines[1].decode() == "0000000001A;Lefèvre;Chloé;1PLP1;13,5;20/03/2026;2"
    assert lines[2].decode() == "0000000002B;Œuvray;Noël;1PLP1;14;05/03/2026;0"
    assert lines[3].decode() == "0000000003C;Zidane;Léa;1PLP1;;;"

    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream, delimiter=";"))
    assert rows[0] == list(HEADER)
    assert len(rows) == len(ROWS) + 1
    for row, text in zip(rows[4:], DANGEROUS, strict=True):
        assert row[1] == row[2] == "'" + text
        assert row[4:] == ["0,0", "01/12/2025", "13"]


def test_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    write_marks_xlsx(path, HEADER, ROWS)

    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Notes"]
    sheet = workbook.active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == list(HEADER)
    assert all(cell.font.b for cell in rows[0])
    assert sheet.freeze_panes == "A2"
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    first = rows[1]
    assert first[4].value == 13.5 and first[4].data_type == "n"
    assert first[4].number_format == "0.0"
    assert first[5].value == dt.datetime(2026, 3, 20)
    assert first[5].number_format == "DD/MM/YYYY"
    assert first[6].value == 2
    assert rows[2][1].value == "Œuvray"
    assert rows[2][4].value == 14 and rows[2][4].number_format == "0"  # rounded to the unit
    assert [cell.value for cell in rows[3][4:]] == [None, None, None]
    for row, text in zip(rows[4:], DANGEROUS, strict=True):
        for cell in row[1:3]:
            # The text itself, stored as a string: never a formula (XML reads CR as LF).
            assert cell.value == text.replace("\r", "\n") and cell.data_type == "s"
            assert cell.quotePrefix
    assert rows[4][0].quotePrefix is False
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEFG"]
    assert all(8 <= width <= 40 for width in widths)
    assert widths[1] > widths[3]  # the long formula-looking name is wider than "1PLP1"


def test_xlsx_error_code_text_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    write_marks_xlsx(path, HEADER, [("1", "#N/A", "x\x01y", "C", None, None, None)])
    row = next(iter(load_workbook(path).active.iter_rows(min_row=2)))
    assert row[1].value == "#N/A" and row[1].data_type == "s"
    assert row[2].value == "xy"  # a control character XLSX cannot hold is dropped


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_atomic_overwrite(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"notes{suffix}"
    path.write_bytes(b"old")
    write = write_marks_csv if suffix == ".csv" else write_marks_xlsx
    write(path, HEADER, ROWS[:1])
    assert path.read_bytes() != b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left


class _FullDisk:
    """A value whose text cannot be produced, like a disk filling up mid-write."""

    def __str__(self) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes(b"old")
    row: Any = ("1", _FullDisk(), "x", "C", None, None, None)
    with pytest.raises(ValidationError, match=r"Impossible d'écrire .*disque plein"):
        write_marks_csv(path, HEADER, [row])
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.csv"]


def test_unwritable_places_are_french_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="le dossier n'existe pas"):
        write_marks_csv(tmp_path / "absent" / "notes.csv", HEADER, ROWS)
    (tmp_path / "dossier.csv").mkdir()
    with pytest.raises(ValidationError, match="c'est un dossier"):
        write_marks_csv(tmp_path / "dossier.csv", HEADER, ROWS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dossier.csv"]
