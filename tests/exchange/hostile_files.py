"""Hostile and broken files for every reader, and a runner measuring one read of each.

Each case builds its bytes; `measure()` reads them in a fresh Python process (under a
2 Go address-space limit) and reports the outcome, the time and the peak memory of
that process. `python -m tests.exchange.hostile_files` prints the table of figures
(docs/fiabilite.md); tests/exchange/test_hostile_files.py asserts on each case.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PMIA = ROOT / "resources" / "referentiels" / "pmia.json"
SIECLE_MAIN = Path(__file__).with_name("data") / "ElevesSansAdresses.xml"
HEADER = "date;nature;titre;INE;critere;niveau;commentaire"
LINE = "05/03/2026;F;Contrôle à l'atelier;1234567890A;PLP-CP03-04;3;Très bien"
MEMORY_LIMIT = 2 * 1024**3
"""The child's address space: a reader that loses its bounds fails instead of swapping."""


@dataclass(frozen=True)
class Case:
    name: str
    reader: str
    """"results", "siecle" or "referentiel"."""
    file_name: str
    build: Callable[[], bytes]
    expect: str
    """A fragment of the French refusal (or of the first line problem)."""
    what: str
    """One line for the table of figures."""


# -- XLSX ------------------------------------------------------------------------------

_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _workbook() -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    sheet.append(LINE.split(";"))
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _replace_member(member: str, write: Callable[[Any], None]) -> bytes:
    """A valid workbook whose `member` is written by `write(stream)` instead."""
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == member:
                with target.open(member, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                target.writestr(info, source.read(info))
    return out.getvalue()


def _repeated_member(head: bytes, block: bytes, count: int, tail: bytes) -> tuple[bytes, int, int]:
    """Deflate data, CRC and size of head + block × count + tail, compressing block once.

    After a full flush the compressor starts afresh, so each copy of the block compresses
    to the same bytes: a 1 Go member costs one CRC pass instead of seconds of deflate.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return start + middle * count + end, crc, len(head) + len(block) * count + len(tail)


def _zip(members: dict[str, bytes | tuple[bytes, int, int]]) -> bytes:
    """A zip written by hand: each member plain bytes, or (deflate data, CRC, size)."""
    out = io.BytesIO()
    central = io.BytesIO()
    for name, content in members.items():
        if isinstance(content, bytes):
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            content = (
                compressor.compress(content) + compressor.flush(),
                zlib.crc32(content),
                len(content),
            )
        data, crc, size = content
        encoded = name.encode()
        offset = out.tell()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + data)
        central.write(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset)
            + encoded
        )
    directory = central.getvalue()
    count = len(members)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), out.tell(), 0)
    return out.getvalue() + directory + end


def _workbook_with(member: str, content: tuple[bytes, int, int]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    members: dict[str, bytes | tuple[bytes, int, int]] = {
        info.filename: source.read(info) for info in source.infolist()
    }
    members[member] = content
    return _zip(members)


def xlsx_row_bomb() -> bytes:
    """~380 Mo of cells in one row, about 1 Mo zipped (the attack run's file)."""
    cells = b'<c t="inlineStr"><is><t>x</t></is></c>' * 100_000  # 3,8 Mo
    head = (_SHEET_HEAD + '<row r="1">').encode()
    sheet = _repeated_member(head, cells, 100, ("</row>" + _SHEET_TAIL).encode())
    return _workbook_with("xl/worksheets/sheet1.xml", sheet)


def xlsx_zip_bomb() -> bytes:
    """A sheet of 1 Go (spaces) in about 1 Mo of zip."""
    block = b" " * (16 * 1024 * 1024)
    sheet = _repeated_member(_SHEET_HEAD.encode(), block, 64, _SHEET_TAIL.encode())
    return _workbook_with("xl/worksheets/sheet1.xml", sheet)


def xlsx_loose_elements() -> bytes:
    """Two million empty elements outside rows: openpyxl would keep every one."""

    def write(stream: Any) -> None:
        stream.write(_SHEET_HEAD.encode())
        stream.write(b"<x/>" * 2_000_000)
        stream.write(_SHEET_TAIL.encode())

    return _replace_member("xl/worksheets/sheet1.xml", write)


_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


def xlsx_entity_bomb() -> bytes:
    def write(stream: Any) -> None:
        stream.write(
            (
                _LAUGHS
                + _SHEET_HEAD.split("\n", 1)[1]
                + '<row r="1"><c t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                + _SHEET_TAIL
            ).encode()
        )

    return _replace_member("xl/worksheets/sheet1.xml", write)


def xlsx_external_entity() -> bytes:
    def write(stream: Any) -> None:
        stream.write(
            (
                '<?xml version="1.0"?>\n<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                + _SHEET_HEAD.split("\n", 1)[1]
                + '<row r="1"><c t="inlineStr"><is><t>&xxe;</t></is></c></row>'
                + _SHEET_TAIL
            ).encode()
        )

    return _replace_member("xl/worksheets/sheet1.xml", write)


def xlsx_truncated() -> bytes:
    data = _workbook()
    return data[: len(data) // 2]


def xlsx_damaged_member() -> bytes:
    """A workbook whose sheet's compressed bytes are overwritten in the middle."""
    data = bytearray(_workbook())
    start = data.find(b"xl/worksheets/sheet1.xml") + 60
    data[start : start + 40] = b"\x00" * 40
    return bytes(data)


# -- CSV -------------------------------------------------------------------------------


def csv_million_lines() -> bytes:
    """One million real result lines (about 70 Mo)."""
    return "\n".join([HEADER, *([LINE] * 1_000_000)]).encode()


def csv_million_short_lines() -> bytes:
    """One million lines under the size limit (12 Mo): counted, not all read."""
    return (HEADER + "\n" + "x;x;x;x;x;x\n" * 1_000_000).encode()


def csv_nul_byte() -> bytes:
    return (HEADER + "\n" + LINE + "\n").encode() + b"\x00" + (LINE + "\n").encode()


def csv_damaged_utf8() -> bytes:
    """UTF-8 accents everywhere and one byte of Windows-1252 on line 4."""
    lines = [HEADER, LINE.replace("Contrôle", "Évaluation"), LINE]
    return ("\n".join(lines) + "\n").encode() + b"05/03/2026;F;R\xe9sum\xe9;1234567890A;X;3\n"


def csv_binary() -> bytes:
    return bytes(range(1, 256)) * 4000


def csv_utf16_without_bom() -> bytes:
    return ("\n".join([HEADER, LINE]) + "\n").encode("utf-16-le")


def csv_overlong_title() -> bytes:
    """A 5 Mo title on one line (over the csv module's field limit)."""
    return (HEADER + "\n" + LINE.replace("Contrôle à l'atelier", "T" * 5_000_000) + "\n").encode()


def csv_overlong_comment() -> bytes:
    return (HEADER + "\n" + LINE.replace("Très bien", "c" * 100_000) + "\n").encode()


def csv_truncated_utf8() -> bytes:
    """Cut in the middle of « è »."""
    data = ("\n".join([HEADER, LINE, LINE]) + "\n").encode()
    return data[: data.rindex("è".encode()) + 1]


# -- SIECLE ----------------------------------------------------------------------------


def siecle_entity_bomb() -> bytes:
    return (_LAUGHS + "<BEE_ELEVES>&lol9;</BEE_ELEVES>").encode()


def siecle_external_entity() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<BEE_ELEVES><PARAMETRES><UAJ>&xxe;</UAJ></PARAMETRES></BEE_ELEVES>"
    )


def siecle_truncated_xml() -> bytes:
    data = SIECLE_MAIN.read_bytes()
    return data[: len(data) * 2 // 3]


def siecle_truncated_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ElevesSansAdresses.xml", SIECLE_MAIN.read_bytes())
    data = out.getvalue()
    return data[: len(data) // 2]


def siecle_zip_bomb() -> bytes:
    """1 Go of spaces in one zipped XML (about 1 Mo)."""
    block = b" " * (16 * 1024 * 1024)
    member = _repeated_member(b"<BEE_ELEVES>", block, 64, b"</BEE_ELEVES>")
    return _zip({"ElevesSansAdresses.xml": member})


def siecle_tiny_elements() -> bytes:
    """48 Mo of « <a/> »: under the size limit, 12 million elements."""
    return b"<BEE_ELEVES>" + b"<a/>" * 12_000_000 + b"</BEE_ELEVES>"


def siecle_damaged_utf8() -> bytes:
    """No declared encoding, UTF-8 names, one Latin-1 byte."""
    text = SIECLE_MAIN.read_bytes().decode("iso-8859-15")
    body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
    return body.encode("utf-8").replace(b"</BEE_ELEVES>", b"<!-- \xe9 --></BEE_ELEVES>")


def siecle_overlong_names() -> bytes:
    text = SIECLE_MAIN.read_bytes().decode("iso-8859-15")
    start = text.index("<NOM_DE_FAMILLE>") + len("<NOM_DE_FAMILLE>")
    end = text.index("</NOM_DE_FAMILLE>", start)
    return (text[:start] + "N" * 5_000_000 + text[end:]).encode("iso-8859-15")


# -- référentiel -----------------------------------------------------------------------


def _pmia() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PMIA.read_text(encoding="utf-8"))
    return data


def referentiel_deep() -> bytes:
    return b'{"a":' * 100_000 + b"1" + b"}" * 100_000


def referentiel_deep_list() -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


def referentiel_huge_number() -> bytes:
    text = json.dumps({**_pmia(), "levels_note": 1})
    return text.replace('"levels_note": 1', '"levels_note": ' + "9" * 100_000).encode()


def referentiel_huge_title() -> bytes:
    data = _pmia()
    data["common_competencies"][0]["title"] = "T" * 5_000_000
    return json.dumps(data).encode()


def referentiel_truncated() -> bytes:
    data = PMIA.read_bytes()
    return data[: len(data) // 2]


def referentiel_latin1() -> bytes:
    return PMIA.read_text(encoding="utf-8").encode("latin-1", errors="replace")


def referentiel_nul_byte() -> bytes:
    return PMIA.read_bytes().replace(b'"title": "', b'"title": "\x00', 1)


CASES = (
    Case("xlsx_row_bomb", "results", "x.xlsx", xlsx_row_bomb,
         "une ligne de plus de 16384 cellules", "XLSX, une ligne de ~380 Mo de cellules"),
    Case("xlsx_zip_bomb", "results", "x.xlsx", xlsx_zip_bomb,
         "trop gros une fois décompressé", "XLSX, feuille de 1 Go zippée"),
    Case("xlsx_loose_elements", "results", "x.xlsx", xlsx_loose_elements,
         "éléments hors des lignes", "XLSX, 2 millions d'éléments hors lignes"),
    Case("xlsx_entity_bomb", "results", "x.xlsx", xlsx_entity_bomb,
         "DOCTYPE", "XLSX, bombe d'entités"),
    Case("xlsx_external_entity", "results", "x.xlsx", xlsx_external_entity,
         "DOCTYPE", "XLSX, entité externe (XXE)"),
    Case("xlsx_truncated", "results", "x.xlsx", xlsx_truncated,
         "XLSX lisible", "XLSX tronqué"),
    Case("xlsx_damaged_member", "results", "x.xlsx", xlsx_damaged_member,
         "XLSX lisible", "XLSX, feuille endommagée"),
    Case("csv_million_lines", "results", "x.csv", csv_million_lines,
         "trop gros", "CSV, 1 million de lignes (70 Mo)"),
    Case("csv_million_short_lines", "results", "x.csv", csv_million_short_lines,
         "plus de 500 000 lignes", "CSV, 1 million de lignes courtes (12 Mo)"),
    Case("csv_nul_byte", "results", "x.csv", csv_nul_byte,
         "caractères nuls", "CSV, un octet nul"),
    Case("csv_damaged_utf8", "results", "x.csv", csv_damaged_utf8,
         "octet invalide (0xE9) ligne 4", "CSV UTF-8, un octet Windows-1252"),
    Case("csv_truncated_utf8", "results", "x.csv", csv_truncated_utf8,
         "octet invalide (0xC3) ligne 3", "CSV UTF-8 coupé au milieu d'un « è »"),
    Case("csv_binary", "results", "x.csv", csv_binary,
         "ni en UTF-8 ni en Windows-1252", "CSV, octets binaires"),
    Case("csv_utf16_without_bom", "results", "x.csv", csv_utf16_without_bom,
         "ni en UTF-8 ni en Windows-1252", "CSV UTF-16 sans BOM"),
    Case("csv_overlong_title", "results", "x.csv", csv_overlong_title,
         "Ligne 2 : ligne illisible", "CSV, un titre de 5 Mo"),
    Case("csv_overlong_comment", "results", "x.csv", csv_overlong_comment,
         "Ligne 2 : commentaire trop long", "CSV, un commentaire de 100 000 caractères"),
    Case("siecle_entity_bomb", "siecle", "ElevesSansAdresses.xml", siecle_entity_bomb,
         "DOCTYPE", "SIECLE, bombe d'entités"),
    Case("siecle_external_entity", "siecle", "ElevesSansAdresses.xml", siecle_external_entity,
         "DOCTYPE", "SIECLE, entité externe (XXE)"),
    Case("siecle_truncated_xml", "siecle", "ElevesSansAdresses.xml", siecle_truncated_xml,
         "XML mal formé", "SIECLE, XML tronqué"),
    Case("siecle_truncated_zip", "siecle", "export.zip", siecle_truncated_zip,
         "illisible", "SIECLE, zip tronqué"),
    Case("siecle_zip_bomb", "siecle", "export.zip", siecle_zip_bomb,
         "une fois décompressé", "SIECLE, zip de 1 Go"),
    Case("siecle_tiny_elements", "siecle", "ElevesSansAdresses.xml", siecle_tiny_elements,
         "balises XML", "SIECLE, 12 millions d'éléments (48 Mo)"),
    Case("siecle_damaged_utf8", "siecle", "ElevesSansAdresses.xml", siecle_damaged_utf8,
         "octet invalide (0xE9)", "SIECLE UTF-8 non déclaré, un octet Latin-1"),
    Case("siecle_overlong_names", "siecle", "ElevesSansAdresses.xml", siecle_overlong_names,
         "nom ou prénom de plus de 100 caractères", "SIECLE, un nom de 5 Mo"),
    Case("referentiel_deep", "referentiel", "r.json", referentiel_deep,
         "imbriqué trop profondément", "Référentiel, objets imbriqués 100 000 fois"),
    Case("referentiel_deep_list", "referentiel", "r.json", referentiel_deep_list,
         "imbriqué trop profondément", "Référentiel, listes imbriquées 100 000 fois"),
    Case("referentiel_huge_number", "referentiel", "r.json", referentiel_huge_number,
         "100\u202f000 chiffres", "Référentiel, un entier de 100 000 chiffres"),
    Case("referentiel_huge_title", "referentiel", "r.json", referentiel_huge_title,
         "texte trop long", "Référentiel, un titre de 5 Mo"),
    Case("referentiel_truncated", "referentiel", "r.json", referentiel_truncated,
         "fichier incomplet", "Référentiel tronqué"),
    Case("referentiel_latin1", "referentiel", "r.json", referentiel_latin1,
         "pas encodé en UTF-8", "Référentiel en Latin-1"),
    Case("referentiel_nul_byte", "referentiel", "r.json", referentiel_nul_byte,
         "pas un JSON valide", "Référentiel, un octet nul"),
)  # fmt: skip
BY_NAME = {case.name: case for case in CASES}


# -- reading in a child process ----------------------------------------------------------


def _read(reader: str, data: bytes, file_name: str) -> str:
    """The outcome: "refused: …" (the reader's ValidationError) or "problems: …"."""
    from livret.domain.errors import ValidationError

    try:
        if reader == "results":
            from livret.exchange.results_file import read_results

            parsed = read_results(data, file_name)
            if parsed.problems:
                return f"problems: {parsed.problems[0]}"
        elif reader == "siecle":
            from livret.exchange.siecle import parse_siecle_bytes

            siecle = parse_siecle_bytes(data, file_name)
            if siecle.skipped:
                return f"problems: {siecle.problems[0]}"
        else:
            from livret.domain.referentiel import parse_referentiel_bytes

            parse_referentiel_bytes(data, file_name)
    except ValidationError as exc:
        return f"refused: {exc.message}"
    return "accepted"


def _child(reader: str, path: str, file_name: str) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    data = Path(path).read_bytes()
    import livret.domain.referentiel
    import livret.exchange.results_file
    import livret.exchange.siecle  # noqa: F401  (imports are not the reader's cost)

    before = _peak_kb()
    start = time.perf_counter()
    outcome = _read(reader, data, file_name)
    seconds = time.perf_counter() - start
    peak = _peak_kb()
    print(
        json.dumps(
            {
                "outcome": outcome[:500],
                "seconds": seconds,
                "peak_mb": peak / 1024,
                "baseline_mb": before / 1024,
            }
        )
    )


def _peak_kb() -> int:
    """This process's peak resident memory, in Kio.

    VmHWM, not getrusage's ru_maxrss: on Linux ru_maxrss survives fork and exec, so a
    child would report its parent's peak (here, the test process that built the file).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass(frozen=True)
class Figures:
    outcome: str
    seconds: float
    peak_mb: float
    """Peak resident memory of the whole process (Python, the file's bytes, the read)."""
    baseline_mb: float
    """The same before reading (Python, the modules and the file's bytes)."""
    size: int


def measure(case: Case, folder: Path) -> Figures:
    """Build the case's file in `folder`, read it in a fresh process, give the figures."""
    data = case.build()
    path = folder / f"{case.name}-{case.file_name}"
    path.write_bytes(data)
    del data
    code = (
        "import sys; from tests.exchange.hostile_files import _child; "
        "_child(sys.argv[1], sys.argv[2], sys.argv[3])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, case.reader, str(path), case.file_name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise AssertionError(f"{case.name}: the reader crashed\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    size = path.stat().st_size
    path.unlink()
    return Figures(size=size, **figures)


def main() -> None:
    """Print the figures of every case (or of those named on the command line)."""
    names = sys.argv[1:] or [case.name for case in CASES]
    print("| Fichier | Taille | Issue | Temps | Mémoire max (dont base) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            case = BY_NAME[name]
            figures = measure(case, Path(folder))
            kind = figures.outcome.split(":", 1)[0]
            print(
                f"| {case.what} | {_size(figures.size)} | {kind} | "
                f"{figures.seconds:.2f} s | {figures.peak_mb:.0f} Mo "
                f"({figures.baseline_mb:.0f}) |",
                flush=True,
            )


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} Mo"
    return f"{size / 1024:.0f} Ko" if size >= 1024 else f"{size} o"


if __name__ == "__main__":
    main()
