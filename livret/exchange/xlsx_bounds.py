"""Bound what an XLSX makes openpyxl build, by streaming each of its XML parts first.

A workbook's size says little about what reading it costs: 778 Ko of zip may hold a
sheet of 380 Mo, and openpyxl builds a whole row (or a whole stylesheet) in memory
before handing it over. So before openpyxl sees a workbook, every XML part is read
in chunks through expat, keeping only counters, and the file is refused (French
ValidationError) at the first limit passed: members and bytes declared by the zip,
then while streaming, cells of a row, bytes of a row or shared string, elements
outside rows, characters of one text, cells of the workbook, and the length of one
tag. A DTD (entity bomb, external entity) is refused too. Memory stays at one chunk
whatever the file; time is one expat pass, stopped at the first excess.
"""

from __future__ import annotations

import zipfile
import zlib
from xml.parsers import expat

from livret.domain.errors import ValidationError

MAX_MEMBERS = 10_000
"""Parts of one workbook (a real one has a few dozen)."""
MAX_ROW_CELLS = 16_384
"""Excel's last column: a row with more cells was not written by a spreadsheet."""
MAX_CELLS = 4_000_000
"""Cells of the whole workbook: 500 000 result lines of 7 columns, and room to spare."""
MAX_TEXT_CHARS = 65_536
"""Characters of one text (Excel keeps at most 32 767 in a cell)."""
MAX_ROW_BYTES = 4 * 1024 * 1024
"""Bytes of one row or one shared string, as stored in the sheet's XML."""
MAX_LOOSE_ELEMENTS = 500_000
"""Elements of one part outside rows and shared strings (styles, formatting…)."""
MAX_TOKEN_BYTES = 1024 * 1024
"""Bytes of one tag, comment or instruction (expat keeps a whole one in memory)."""
CHUNK = 1024 * 1024

_CONTAINERS = frozenset({"row", "si"})
"""Elements openpyxl builds one at a time and then forgets (rows, shared strings)."""
_XMLISH = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class _Excess(Exception):
    """A limit passed while streaming: the French reason."""


def check_xlsx_parts(archive: zipfile.ZipFile, name: str, max_uncompressed: int) -> None:
    """Refuse a workbook whose parts would cost openpyxl too much memory or time."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ValidationError(
            f"« {name} » contient {len(infos)} éléments : ce n'est pas un classeur "
            "enregistré par un tableur."
        )
    expanded = sum(info.file_size for info in infos)
    if expanded > max_uncompressed:
        raise ValidationError(
            f"« {name} » est trop gros une fois décompressé ({_megabytes(expanded)} Mo) : "
            "découpez-le en plusieurs fichiers."
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise ValidationError(
            f"« {name} » est protégé par un mot de passe : enregistrez-le sans mot de passe."
        )
    cells = [0]
    for info in infos:
        if info.is_dir() or info.file_size == 0:
            continue
        _scan_member(archive, info, name, cells)


def _scan_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, cells: list[int]
) -> None:
    unreadable = f"« {name} » est endommagé ou tronqué : ce n'est pas un classeur XLSX lisible."
    try:
        with archive.open(info) as member:
            chunk = member.read(CHUNK)
            if not chunk.lstrip(b" \t\r\n").startswith(_XMLISH):
                return  # not XML (an image…): openpyxl never parses it as XML
            scanner = _Scanner(cells)
            while chunk:
                scanner.feed(chunk)
                chunk = member.read(CHUNK)
            scanner.close()
    except _Excess as excess:
        raise ValidationError(
            f"« {name} » est refusé : {excess} (partie « {_shorten(info.filename)} »)."
        ) from None
    except expat.ExpatError:
        raise ValidationError(unreadable) from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,
        RuntimeError,
        ValueError,
        OSError,
        EOFError,
    ):
        raise ValidationError(unreadable) from None


class _Scanner:
    """Counters over one XML part fed chunk by chunk; raises _Excess at a limit."""

    def __init__(self, cells: list[int]) -> None:
        self._parser = parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        self._fed = 0
        self._cells = cells
        """Cells of the whole workbook so far (shared by the parts)."""
        self._container_depth = 0
        self._container_start = 0
        self._container_elements = 0
        self._row_cells = 0
        self._loose = 0
        self._text_chars = 0

    def feed(self, chunk: bytes) -> None:
        self._fed += len(chunk)
        self._parser.Parse(chunk, False)
        # Expat holds an unfinished tag (or comment) whole: never let one grow unbounded.
        if self._fed - max(self._parser.CurrentByteIndex, 0) > MAX_TOKEN_BYTES:
            raise _Excess("une balise de plus de 1 Mo")

    def close(self) -> None:
        self._parser.Parse(b"", True)

    def _doctype(self, *_args: object) -> None:
        raise _Excess("il contient une déclaration DOCTYPE, interdite par sécurité")

    def _entity(self, *_args: object) -> None:
        raise _Excess("il déclare des entités XML, interdites par sécurité")

    def _start(self, tag: str, _attributes: object) -> None:
        local = tag.rpartition(":")[2]
        self._text_chars = 0
        if self._container_depth:
            self._container_depth += 1
            self._container_elements += 1
            if self._container_elements > 4 * MAX_ROW_CELLS:
                raise _Excess(f"une ligne de plus de {MAX_ROW_CELLS} cellules")
            if self._parser.CurrentByteIndex - self._container_start > MAX_ROW_BYTES:
                raise _Excess("une ligne de plus de 4 Mo")
            if local == "c":
                self._row_cells += 1
                self._cells[0] += 1
                if self._row_cells > MAX_ROW_CELLS:
                    raise _Excess(f"une ligne de plus de {MAX_ROW_CELLS} cellules")
                if self._cells[0] > MAX_CELLS:
                    raise _Excess(f"plus de {MAX_CELLS:,} cellules".replace(",", " "))
        elif local in _CONTAINERS:
            self._container_depth = 1
            self._container_start = self._parser.CurrentByteIndex
            self._container_elements = 0
            self._row_cells = 0
        else:
            self._loose += 1
            if self._loose > MAX_LOOSE_ELEMENTS:
                raise _Excess(
                    f"plus de {MAX_LOOSE_ELEMENTS:,} éléments hors des lignes".replace(",", " ")
                )

    def _end(self, _tag: str) -> None:
        self._text_chars = 0
        if self._container_depth:
            self._container_depth -= 1
            if (
                not self._container_depth
                and self._parser.CurrentByteIndex - self._container_start > MAX_ROW_BYTES
            ):
                raise _Excess("une ligne de plus de 4 Mo")

    def _text(self, text: str) -> None:
        self._text_chars += len(text)
        if self._text_chars > MAX_TEXT_CHARS:
            raise _Excess(f"un texte de plus de {MAX_TEXT_CHARS:,} caractères".replace(",", " "))
        if self._container_depth and (
            self._parser.CurrentByteIndex - self._container_start > MAX_ROW_BYTES
        ):
            raise _Excess("une ligne de plus de 4 Mo")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")
