"""Read a file of evaluation results (CSV or XLSX): one row per result, no database.

Columns (PRODUCT.md §4): ``date;nature;titre;INE;critere;niveau;commentaire``. The
header names are matched whatever their case and accents ("Critère", "NIVEAU"), in
any order; ``commentaire`` may be left out; other columns are ignored (with a note).

- date: JJ/MM/AAAA (also J/M/AAAA, with / . or -) or ISO AAAA-MM-JJ (a time after it
  is ignored); in XLSX also a real date cell or an Excel date number;
- nature: F or E; niveau: NE, 1, 2, 3, 4, ABS or the symbols --, -, +, ++;
- critère: the stable criterion id ("PLP-CP03-04"); INE and critère are compared
  in capitals, without spaces inside the INE.

CSV: ';', ',' or tab, whichever splits the header line into the most known column
names; UTF-8 (with or without BOM), else Windows-1252 when the bytes are not UTF-8
and read like text; a UTF-8 file with a damaged byte is refused, naming its line
(text_encoding). XLSX: the first sheet, its parts bounded first (xlsx_bounds).

Whole-file refusals (too big, unreadable encoding, not a workbook, no header, no
data, too many rows) raise ValidationError. Problems of single lines are collected,
each with its line number (the CSV line where the record starts, or the sheet row),
so that the import can list them all and write nothing. Text is kept as typed (NFC,
outer spaces removed): a comment starting with = + - @ is plain text, never a formula.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TypeVar, cast

from livret.domain.errors import ValidationError
from livret.domain.levels import parse_result_level
from livret.exchange.text_encoding import looks_like_single_byte_text, utf8_problem
from livret.exchange.xlsx_bounds import check_xlsx_parts

MAX_BYTES = 20 * 1024 * 1024
"""Largest file accepted (20 Mo)."""
MAX_ROWS = 500_000
MAX_COLUMNS = 32  # the format has 7; extra columns beyond this are not read
"""Most result lines accepted in one file."""
MAX_UNCOMPRESSED = 400 * 1024 * 1024
"""Most bytes an XLSX may expand to (a 20 Mo zip bomb is refused before parsing)."""
MAX_SHEET_ROWS = 1_048_576
"""Excel's last row: a sheet claiming more is not a real workbook."""
TITLE_MAX = 300
"""Length of evaluation.title."""
COMMENT_MAX = 2000
"""Longest comment of a result (a few sentences; the database would keep anything)."""
CODE_MAX = 40
"""Longest INE or criterion code read (criterion.code holds 40; an INE has 11)."""
YEARS = (2000, 2099)
"""Evaluation dates outside these years are typing mistakes (or Excel's day 0)."""

COLUMNS = ("date", "nature", "titre", "ine", "critere", "niveau", "commentaire")
REQUIRED = COLUMNS[:6]
EXPECTED_HEADER = "date;nature;titre;INE;critere;niveau;commentaire"
_ALIASES = {"commentaires": "commentaire", "criteres": "critere"}
_DELIMITERS = (";", ",", "\t")
_DELIMITER_NAMES = {";": "« ; »", ",": "« , »", "\t": "tabulation"}
_LEVEL_HINT = "NE, 1, 2, 3, 4, ABS, --, -, + ou ++"

_DMY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_SPACES = re.compile(r"\s+")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
"""An .xls, or an .xlsx encrypted with a password (both are OLE compound files)."""

Raw = str | int | float | bool | dt.date | dt.datetime | dt.time | None
"""A cell as read: text from a CSV, any openpyxl value from an XLSX."""
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem of one line of the file."""

    line: int
    message: str
    """French, without the line number: "critère « X » inconnu."."""

    def __str__(self) -> str:
        return f"Ligne {self.line} : {self.message}"


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One result line, its values normalised; None where the cell is empty or unreadable."""

    line: int
    eval_date: dt.date | None
    nature: str | None
    """"F" or "E"."""
    title: str | None
    """Spaces collapsed; at most TITLE_MAX characters."""
    ine: str | None
    """In capitals, without spaces."""
    criterion: str | None
    """The criterion code in capitals."""
    level: str | None
    """NE, 1, 2, 3, 4 or ABS."""
    comment: str | None
    """As typed (outer spaces removed); None when empty or without the column."""

    @property
    def evaluation_key(self) -> tuple[dt.date, str, str] | None:
        """(date, nature, title): the lines sharing it form one evaluation; None if incomplete."""
        if self.eval_date is None or self.nature is None or self.title is None:
            return None
        return (self.eval_date, self.nature, self.title)


@dataclass(frozen=True, slots=True)
class ResultsFile:
    """What a results file holds, and what is wrong in it line by line."""

    file_name: str
    format_label: str
    """"CSV UTF-8, séparateur « ; »", "XLSX"…, for the report."""
    has_comment_column: bool
    rows: tuple[ResultRow, ...]
    """Every result line whose cells could be told apart (even if some are bad)."""
    problems: tuple[Problem, ...]
    """Format problems, in line order."""
    notes: tuple[str, ...]
    """Things worth knowing that do not prevent the import (ignored columns)."""
    line_count: int
    """Result lines read (blank lines left out), including those with a wrong column count."""


def read_results(data: bytes, file_name: str) -> ResultsFile:
    """Parse a CSV or XLSX results file (chosen by its content, else its name)."""
    name = PurePath(file_name).name or file_name
    check_size(len(data), name)
    if not data.strip():
        raise ValidationError(f"Le fichier « {name} » est vide.")
    suffix = PurePath(name).suffix.casefold()
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, name)
    if data.startswith(_OLE_MAGIC) and suffix in (".xlsx", ".xlsm"):
        raise ValidationError(
            f"« {name} » est protégé par un mot de passe : enregistrez-le sans mot de passe."
        )
    if suffix in (".xlsx", ".xlsm"):
        raise ValidationError(f"« {name} » n'est pas un classeur XLSX lisible.")
    if suffix == ".xls" or data.startswith(_OLE_MAGIC):
        raise ValidationError(
            f"« {name} » est un classeur Excel ancien (.xls) : enregistrez-le "
            "au format .xlsx ou CSV."
        )
    return _read_csv(data, name)


def check_size(size: int, file_name: str) -> None:
    """Refuse a file of more than MAX_BYTES (before reading it, when the size is known)."""
    if size > MAX_BYTES:
        raise ValidationError(
            f"Le fichier « {file_name} » est trop gros ({_megabytes(size)} Mo ; "
            f"{MAX_BYTES // (1024 * 1024)} Mo au plus) : découpez-le en plusieurs fichiers."
        )


# -- CSV -------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text and the encoding's name: UTF-8 (BOM or not), else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(
            f"« {name} » est encodé en UTF-16, non pris en charge : enregistrez-le en "
            "« CSV UTF-8 » ou « CSV (séparateur : point-virgule) »."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text, encoding = data[3:].decode("utf-8"), "UTF-8 avec BOM"
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"« {name} » annonce l'encodage UTF-8 mais contient un octet invalide "
                f"ligne {_line_of(data, exc.start + 3)} : réenregistrez-le en CSV UTF-8."
            ) from None
    else:
        # One encoding for the whole file, and never a silent guess: see text_encoding.
        bad = utf8_problem(data)
        if bad is None:
            text, encoding = data.decode("utf-8"), "UTF-8"
        elif bad.damaged_utf8:
            raise ValidationError(
                f"« {name} » est en UTF-8 mais contient un octet invalide ({bad.byte_text}) "
                f"ligne {bad.line} : corrigez cette ligne ou réenregistrez le fichier en "
                "« CSV UTF-8 ». Rien n'a été lu, pour ne pas enregistrer d'accents abîmés."
            )
        else:
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"« {name} » n'est ni en UTF-8 ni en Windows-1252 (octet illisible "
                    f"ligne {_line_of(data, exc.start)}) : réenregistrez-le en CSV UTF-8."
                ) from None
            if not looks_like_single_byte_text(text):
                raise ValidationError(
                    f"« {name} » n'est ni en UTF-8 ni en Windows-1252 (octet {bad.byte_text} "
                    f"ligne {bad.line}, et le reste ne ressemble pas à du texte) : "
                    "ce n'est pas un fichier CSV, ou réenregistrez-le en CSV UTF-8."
                )
    if "\x00" in text:
        raise ValidationError(
            f"« {name} » contient des caractères nuls : ce n'est pas un fichier CSV texte "
            "(enregistrez-le en CSV UTF-8)."
        )
    return text, encoding


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _read_csv(data: bytes, name: str) -> ResultsFile:
    text, encoding = _decode(data, name)
    delimiter = _sniff(_first_nonblank_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)

    def records() -> Iterator[tuple[int, Sequence[Raw] | _Unreadable]]:
        start = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, _Unreadable(str(exc))
                return
            yield start, fields
            start = reader.line_num + 1

    label = f"CSV {encoding}, séparateur {_DELIMITER_NAMES[delimiter]}"
    return _parse(records(), name, label, csv_mode=True, epoch=None)


def _first_nonblank_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip(" \t\ufeff;,"):
            return line
    return ""


def _sniff(header: str) -> str:
    """The delimiter that splits the header into the most known names (ties: ; then ,)."""
    best, best_count = ";", -1
    for delimiter in _DELIMITERS:
        try:
            fields = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            continue
        count = sum(1 for field in fields if _column_name(field) in COLUMNS)
        if count > best_count:
            best, best_count = delimiter, count
    return best


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A record the csv module could not split (e.g. a field over its size limit)."""

    reason: str


# -- XLSX ------------------------------------------------------------------------------


def _read_xlsx(data: bytes, name: str) -> ResultsFile:
    unreadable = f"« {name} » n'est pas un classeur XLSX lisible."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Sizes declared, then every XML part streamed with counters: openpyxl would
            # build a whole row (or stylesheet) in memory, whatever its size.
            check_xlsx_parts(archive, name, MAX_UNCOMPRESSED)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ValidationError(unreadable) from None
    # openpyxl ships no type hints; unused-ignore keeps mypy quiet if an override appears.
    from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

    workbook = None
    try:
        with warnings.catch_warnings():
            # "Workbook contains no default style", data validation extensions…
            warnings.simplefilter("ignore")
            # openpyxl parses through defusedxml (installed): no entity expansion.
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            sheets = workbook.worksheets
            if not sheets:
                raise ValidationError(f"« {name} » ne contient aucune feuille de calcul.")
            sheet = sheets[0]
            sheet.reset_dimensions()  # some writers store a wrong size: read every row
            epoch = workbook.epoch
            rows = (
                (number, row)
                # A stray cell far to the right must not turn each row into 16 384 values.
                for number, row in enumerate(
                    sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
                )
            )
            return _parse(rows, name, "XLSX", csv_mode=False, epoch=epoch)
    except ValidationError:
        raise
    except Exception:  # untrusted file: any parsing failure is "unreadable", never a crash
        raise ValidationError(unreadable) from None
    finally:
        if workbook is not None:
            with contextlib.suppress(Exception):
                workbook.close()


# -- rows ------------------------------------------------------------------------------


def _parse(
    records: Iterable[tuple[int, Sequence[Raw] | _Unreadable]],
    name: str,
    label: str,
    *,
    csv_mode: bool,
    epoch: dt.datetime | None,
) -> ResultsFile:
    problems: list[Problem] = []
    notes: list[str] = []
    rows: list[ResultRow] = []
    positions: dict[str, int] | None = None
    width = required_width = 0
    line_count = 0
    first_line: dict[tuple[tuple[dt.date, str, str], str, str], int] = {}
    cells_reader: _Cells | None = None

    for line, record in records:
        if line > MAX_SHEET_ROWS and not csv_mode:
            raise _too_many(name)
        if isinstance(record, _Unreadable):
            problems.append(
                Problem(line, f"ligne illisible ({record.reason}) : la suite n'a pas été lue.")
            )
            break
        if csv_mode:
            if not "".join(cast(list[str], record)).strip():  # str.strip removes NBSP too
                continue
        elif _blank(record):
            continue
        if positions is None:
            positions, width = _header(record, line, problems, notes)
            if positions is None:
                break
            required_width = 1 + max(positions[column] for column in REQUIRED)
            cells_reader = _Cells(positions, epoch, text_only=csv_mode)
            continue
        line_count += 1
        if line_count > MAX_ROWS:
            raise _too_many(name)
        cells = record if len(record) == width else list(record)
        if len(cells) > width:
            if any(_text(value) for value in cells[width:]):
                if csv_mode:
                    message = f"{len(cells)} colonnes au lieu de {width}."
                else:
                    message = f"valeur hors des {width} colonnes de l'en-tête."
                problems.append(Problem(line, message))
                continue
            cells = cells[:width]
        elif len(cells) < width:
            # Short rows are fine when only optional columns are left out at the end
            # (a hand-written line without its empty comment); XLSX never stores empty cells.
            if csv_mode and len(cells) < required_width:
                problems.append(Problem(line, f"{len(cells)} colonnes au lieu de {width}."))
                continue
            cells = [*cells, *([None] * (width - len(cells)))]
        assert cells_reader is not None  # set with the header
        row = cells_reader.row(line, cells, problems)
        rows.append(row)
        key = row.evaluation_key
        if key is not None and row.ine is not None and row.criterion is not None:
            seen = first_line.setdefault((key, row.ine, row.criterion), line)
            if seen != line:
                problems.append(
                    Problem(
                        line,
                        f"résultat en double : INE « {row.ine} », critère « {row.criterion} » "
                        f"déjà à la ligne {seen} pour la même évaluation.",
                    )
                )

    if positions is None and not problems:
        raise ValidationError(f"Le fichier « {name} » est vide.")
    if positions is not None and line_count == 0 and not problems:
        raise ValidationError(
            f"Le fichier « {name} » ne contient aucun résultat (seulement l'en-tête)."
        )
    problems.sort(key=lambda problem: problem.line)
    return ResultsFile(
        file_name=name,
        format_label=label,
        has_comment_column=positions is not None and "commentaire" in positions,
        rows=tuple(rows),
        problems=tuple(problems),
        notes=tuple(notes),
        line_count=line_count,
    )


def _too_many(name: str) -> ValidationError:
    return ValidationError(
        f"Le fichier « {name} » a plus de {MAX_ROWS:,} lignes de résultats : "
        "découpez-le en plusieurs fichiers.".replace(",", " ")
    )


def _header(
    record: Sequence[Raw], line: int, problems: list[Problem], notes: list[str]
) -> tuple[dict[str, int] | None, int]:
    """Column positions by name, and the header's width; None when unusable."""
    positions: dict[str, int] = {}
    usable = True
    width = len(record)
    while width and not _text(record[width - 1]):
        width -= 1  # trailing empty header cells: Excel's ";;" at the end of the line
    for index, value in enumerate(record[:width]):
        typed = _text(value)
        column = _column_name(typed)
        if not column:
            continue
        if column not in COLUMNS:
            notes.append(f"Colonne « {typed} » ignorée (inconnue).")
            continue
        if column in positions:
            problems.append(Problem(line, f"colonne « {typed} » en double dans l'en-tête."))
            usable = False
            continue
        positions[column] = index
    if not positions:
        problems.append(Problem(line, f"en-tête non reconnu (attendu : {EXPECTED_HEADER})."))
        return None, 0
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        problems.append(
            Problem(
                line,
                f"colonne{'s' if len(missing) > 1 else ''} manquante"
                f"{'s' if len(missing) > 1 else ''} dans l'en-tête : {', '.join(missing)} "
                f"(attendu : {EXPECTED_HEADER}).",
            )
        )
        return None, 0
    return (positions, width) if usable else (None, 0)


def _column_name(text: str | None) -> str:
    """'Critère ' → 'critere': no accents, no case, no outer spaces or BOM."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    name = _SPACES.sub(" ", plain).strip().casefold()
    return _ALIASES.get(name, name)


_Parsed = tuple[_V | None, str | None]
"""A cell's value (None when empty or wrong) and the French problem, if any."""
CACHE_LIMIT = 50_000
"""Distinct values remembered per column (a file repeats its dates, INEs, criteria…)."""


class _Cells:
    """Turns the cells of a line into a ResultRow, parsing each distinct value once.

    A file repeats its values: the date, nature and title of an evaluation on each of
    its lines, the same INEs, criteria and levels. Each distinct value (or triple) is
    parsed once and remembered, with its problems.
    """

    def __init__(
        self, positions: dict[str, int], epoch: dt.datetime | None, *, text_only: bool
    ) -> None:
        self._at = tuple(positions[name] for name in REQUIRED)
        self._comment = positions.get("commentaire")
        self._epoch = epoch
        self._text_only = text_only
        """CSV cells are all str; XLSX cells need their type in the cache keys."""
        self._heads: dict[object, tuple[Any, Any, Any, tuple[str, ...]]] = {}
        self._ines: dict[object, _Parsed[str]] = {}
        self._criteria: dict[object, _Parsed[str]] = {}
        self._levels: dict[object, _Parsed[str]] = {}

    def row(self, line: int, cells: Sequence[Raw], problems: list[Problem]) -> ResultRow:
        at_date, at_nature, at_title, at_ine, at_criterion, at_level = self._at
        key = self._key
        raw_head = (cells[at_date], cells[at_nature], cells[at_title])
        head_key = raw_head if self._text_only else tuple(key(raw) for raw in raw_head)
        head = self._heads.get(head_key)
        if head is None:
            head = self._head(*raw_head)
            if len(self._heads) < CACHE_LIMIT:
                self._heads[head_key] = head
        day, nature, title, messages = head

        raw_ine, raw_criterion, raw_level = cells[at_ine], cells[at_criterion], cells[at_level]
        ine_key: object
        criterion_key: object
        level_key: object
        if self._text_only:
            ine_key, criterion_key, level_key = raw_ine, raw_criterion, raw_level
        else:
            ine_key, criterion_key, level_key = key(raw_ine), key(raw_criterion), key(raw_level)
        ine, ine_problem = self._ines.get(ine_key) or _remember(self._ines, ine_key, _ine(raw_ine))
        criterion, criterion_problem = self._criteria.get(criterion_key) or _remember(
            self._criteria, criterion_key, _criterion(raw_criterion)
        )
        level, level_problem = self._levels.get(level_key) or _remember(
            self._levels, level_key, _level(raw_level)
        )
        if messages or ine_problem or criterion_problem or level_problem:
            for message in (*messages, ine_problem, criterion_problem, level_problem):
                if message is not None:
                    problems.append(Problem(line, message))

        comment = None
        if self._comment is not None:
            raw_comment = cells[self._comment]
            if type(raw_comment) is str and raw_comment.isascii():
                comment = raw_comment.strip() or None
            else:
                comment = _text(raw_comment) or None
            if comment is not None and len(comment) > COMMENT_MAX:
                problems.append(
                    Problem(
                        line,
                        f"commentaire trop long ({len(comment)} caractères ; "
                        f"{COMMENT_MAX} au plus).",
                    )
                )
                comment = None
        return ResultRow(line, day, nature, title, ine, criterion, level, comment)

    @staticmethod
    def _key(raw: Raw) -> object:
        # 1, 1.0 and True are equal keys: non-text values are told apart by their type.
        return raw if type(raw) is str else (type(raw), raw)

    def _head(
        self, raw_date: Raw, raw_nature: Raw, raw_title: Raw
    ) -> tuple[Any, Any, Any, tuple[str, ...]]:
        day, date_problem = self._date(raw_date)
        nature, nature_problem = _nature(raw_nature)
        title, title_problem = _title(raw_title)
        messages = tuple(
            message
            for message in (date_problem, nature_problem, title_problem)
            if message is not None
        )
        return day, nature, title, messages

    def _date(self, value: Raw) -> _Parsed[dt.date]:
        epoch = self._epoch
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, int | float) and not isinstance(value, bool) and epoch is not None:
            try:  # an Excel date number (days since the workbook's epoch)
                day = (epoch + dt.timedelta(days=int(value))).date()
            except (OverflowError, ValueError):
                return None, f"date « {_text(value)} » illisible (attendu : JJ/MM/AAAA)."
        else:
            text = _text(value)
            if not text:
                return None, "date manquante."
            parsed = _parse_date_text(text)
            if parsed is None:
                return None, (
                    f"date « {_shorten(text)} » illisible (attendu : JJ/MM/AAAA ou AAAA-MM-JJ)."
                )
            if isinstance(parsed, str):
                return None, f"date « {_shorten(text)} » {parsed}."
            day = parsed
        if not YEARS[0] <= day.year <= YEARS[1]:
            shown = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
            return None, f"date « {shown} » hors des années possibles ({YEARS[0]} à {YEARS[1]})."
        return day, None


def _remember(cache: dict[object, _Parsed[str]], key: object, parsed: _Parsed[str]) -> _Parsed[str]:
    if len(cache) < CACHE_LIMIT:
        cache[key] = parsed
    return parsed


def _nature(value: Raw) -> _Parsed[str]:
    text = _text(value)
    if not text:
        return None, "nature manquante."
    if text.upper() in ("F", "E"):
        return text.upper(), None
    return None, f"nature « {_shorten(text)} » inconnue (attendu : F ou E)."


def _title(value: Raw) -> _Parsed[str]:
    text = _SPACES.sub(" ", _text(value))
    if not text:
        return None, "titre manquant."
    if len(text) > TITLE_MAX:
        return None, f"titre trop long ({len(text)} caractères ; {TITLE_MAX} au plus)."
    return text, None


def _ine(value: Raw) -> _Parsed[str]:
    text = _SPACES.sub("", _text(value)).upper()
    if len(text) > CODE_MAX:
        return None, f"INE « {_shorten(text)} » trop long ({len(text)} caractères)."
    return (text, None) if text else (None, "INE manquant.")


def _criterion(value: Raw) -> _Parsed[str]:
    text = _text(value).upper()
    if len(text) > CODE_MAX:
        return None, f"critère « {_shorten(text)} » trop long ({len(text)} caractères)."
    return (text, None) if text else (None, "critère manquant.")


def _level(value: Raw) -> _Parsed[str]:
    text = _text(value)
    if not text:
        return None, f"niveau manquant (attendu : {_LEVEL_HINT})."
    try:
        return parse_result_level(text).value, None
    except ValidationError:
        return None, f"niveau « {_shorten(text)} » inconnu (attendu : {_LEVEL_HINT})."


def _parse_date_text(text: str) -> dt.date | str | None:
    """The date; a French reason when it cannot exist; None when it is not a date at all."""
    match = _DMY.fullmatch(text)
    if match:
        day_text, _separator, month_text, year_text = match.groups()
        if len(year_text) != 4:
            return "incomplète : l'année doit avoir 4 chiffres (JJ/MM/AAAA)"
        year, month, day = int(year_text), int(month_text), int(day_text)
    else:
        match = _ISO.fullmatch(text)
        if not match:
            return None
        year, month, day = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return "impossible (ce jour n'existe pas)"


def _text(value: Raw) -> str:
    """A cell as text: NFC, non-breaking spaces made plain, outer spaces removed."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "VRAI" if value else "FAUX"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime):
        text = value.strftime("%d/%m/%Y") if value.time() == dt.time() else value.isoformat(" ")
    elif isinstance(value, dt.date):
        text = value.strftime("%d/%m/%Y")
    else:
        text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")
    return text.strip()


def _blank(record: Sequence[Raw]) -> bool:
    for value in record:
        if isinstance(value, str):
            if value and not value.isspace() and _text(value):
                return False
        elif value is not None:
            return False
    return True


def _shorten(text: str, limit: int = 60) -> str:
    """A value quoted in a message: a 100 000-character cell must not fill the report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")
