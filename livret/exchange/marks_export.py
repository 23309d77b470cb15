"""Write the marks table as CSV (for Excel) or XLSX, from plain rows.

The rows hold typed values: text, a Decimal mark (already rounded: its exponent tells
how many decimals to show), a date, an integer, or None for an empty cell. Nothing
here knows about the database.

Spreadsheet formula injection (OWASP "CSV injection"): a text cell starting with
= + - @, a tab or a carriage return could be run as a formula when the file is opened.
In CSV such a cell gets a leading apostrophe; in XLSX it is stored as a string
(never a formula) with the "quote prefix" style, so that editing it keeps it text.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import os
import tempfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from livret.domain.errors import ValidationError

Cell = str | Decimal | dt.date | int | None
"""One value of a row: text, mark, date, count, or nothing."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula (OWASP)."""

SHEET_TITLE = "Notes"
DATE_FORMAT = "%d/%m/%Y"
XLSX_DATE_FORMAT = "DD/MM/YYYY"
MIN_WIDTH = 8
MAX_WIDTH = 40


def neutralise(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would run it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def french_decimal(value: Decimal) -> str:
    """'13,5' for 13.5, '14' for 14: the decimals the value carries, a French comma."""
    return format(value, "f").replace(".", ",")


def write_marks_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """CSV for Excel in French: ';' separator, UTF-8 with BOM, CRLF line endings.

    Marks get a decimal comma, dates JJ/MM/AAAA, missing values an empty cell.
    """

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
            writer.writerow([neutralise(title) for title in header])
            writer.writerows([_csv_cell(value) for value in row] for row in rows)

    _write_atomically(path, write)


def write_marks_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    sheet_title: str = SHEET_TITLE,
) -> None:
    """One sheet "Notes": bold header, marks as numbers, dates as real date cells.

    A date is a date cell shown JJ/MM/AAAA (it sorts and filters as a date, and the
    report software reads a date); a mark is a number shown with its own decimals
    ('0.0', or '0' for a mark rounded to the unit); text never becomes a formula.
    """
    # openpyxl ships no type hints; unused-ignore keeps mypy quiet if an override appears.
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.cell.cell import (  # type: ignore[import-untyped, unused-ignore]
        ILLEGAL_CHARACTERS_RE,
    )
    from openpyxl.styles import Font  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    workbook.properties.creator = "Livret"
    workbook.properties.title = sheet_title
    widths = [len(title) for title in header]
    bold = Font(bold=True)
    for column, title in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.value = title
        cell.data_type = "s"
        cell.font = bold
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column)
            if value is None:
                continue
            if isinstance(value, str):
                text = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.value = text
                # openpyxl reads "=…" as a formula and "#N/A" as an error: force text.
                cell.data_type = "s"
                if text != neutralise(text):
                    cell.quotePrefix = True
                shown = text
            elif isinstance(value, Decimal):
                cell.value = value
                cell.number_format = "0" if _whole(value) else "0.0"
                shown = french_decimal(value)
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = XLSX_DATE_FORMAT
                shown = value.strftime(DATE_FORMAT)
            else:
                cell.value = value
                shown = str(value)
            if column <= len(widths):
                widths[column - 1] = max(widths[column - 1], len(shown))
            else:
                widths.append(len(shown))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    sheet.freeze_panes = "A2"

    _write_atomically(path, lambda temporary: workbook.save(temporary))


def _whole(value: Decimal) -> bool:
    """True for a mark carrying no decimals (rounded to the unit)."""
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= 0


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return french_decimal(value)
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    return str(value)


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write a temporary file next to `path`, then rename it over `path` in one step.

    A reader (or a crash) never sees half a file; an existing file stays intact if
    writing fails. The file is created owner-only: it holds learners' marks.
    """
    target = Path(path)
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        os.close(descriptor)
        write(Path(temporary))
        with open(temporary, "ab") as written:
            os.fsync(written.fileno())  # on disk before the rename makes it visible
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise ValidationError(f"Impossible d'écrire « {target} » : {_reason(exc)}.") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "disque plein"
    if isinstance(exc, FileNotFoundError):
        return "le dossier n'existe pas"
    if isinstance(exc, PermissionError):
        return "accès refusé"
    if isinstance(exc, IsADirectoryError):
        return "c'est un dossier"
    if isinstance(exc, NotADirectoryError):
        return "le chemin ne mène pas à un dossier"
    return exc.strerror or exc.__class__.__name__
