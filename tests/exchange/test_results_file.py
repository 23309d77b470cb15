"""Parsing of results files (CSV and XLSX): encodings, separators, headers, every bad line."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]

from livret.domain.errors import ValidationError
from livret.exchange import results_file
from livret.exchange.results_file import ResultRow, read_results
from tests.fuzzing import fuzz

HEADER = ["date", "nature", "titre", "INE", "critere", "niveau", "commentaire"]
TITLE = "Contrôle n°2 : à l'atelier"
LINES = [
    ["05/03/2026", "F", TITLE, "1234567890A", "PLP-CP03-04", "3", "Très bien, à revoir"],
    ["2026-03-05", "F", TITLE, "1234567890B", "PLP-CP03-04", "++", ""],
    ["05/03/2026", "E", "Stage", "1234567890A", "plp-cp01-01", "abs", "=SOMME(A1:A3)"],
]


def csv_bytes(
    rows: list[list[str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    header: list[str] | None = None,
    newline: str = "\r\n",
) -> bytes:
    lines = [header or HEADER, *rows]
    text = newline.join(delimiter.join(row) for row in lines) + newline
    return text.encode(encoding)


def xlsx_bytes(
    rows: list[list[Any]], header: list[Any] | None = None, *, formulas: bool = False
) -> bytes:
    """A workbook as Excel saves it; text typed as text unless `formulas` (then "=…" is one)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row or [None])
        if not formulas:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def messages(parsed: results_file.ResultsFile) -> list[str]:
    return [str(problem) for problem in parsed.problems]


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 avec BOM"), ("cp1252", "Windows-1252")],
)
def test_csv_in_each_encoding_and_separator(delimiter: str, encoding: str, label: str) -> None:
    rows = [[f'"{cell}"' if delimiter in cell else cell for cell in row] for row in LINES]
    parsed = read_results(csv_bytes(rows, delimiter=delimiter, encoding=encoding), "notes.csv")

    assert parsed.problems == ()
    assert parsed.format_label.startswith(f"CSV {label}, séparateur")
    assert parsed.line_count == 3
    assert parsed.has_comment_column
    assert parsed.rows == (
        ResultRow(
            2, dt.date(2026, 3, 5), "F", TITLE, "1234567890A", "PLP-CP03-04", "3",
            "Très bien, à revoir",
        ),
        ResultRow(3, dt.date(2026, 3, 5), "F", TITLE, "1234567890B", "PLP-CP03-04", "4", None),
        ResultRow(
            4, dt.date(2026, 3, 5), "E", "Stage", "1234567890A", "PLP-CP01-01", "ABS",
            "=SOMME(A1:A3)",
        ),
    )  # fmt: skip


def test_header_names_ignore_case_accents_and_order_comment_optional() -> None:
    header = ["  Critère", "NIVEAU", "Date", "Nature", "Titre", "ine", "Nom"]
    data = csv_bytes([["PLP-CP03-04", "-", "5/3/2026", "f", "  T1  ", "1234567890a", "Dupont"]],
                     header=header)  # fmt: skip
    parsed = read_results(data, "x.csv")

    assert parsed.problems == ()
    assert not parsed.has_comment_column
    assert parsed.notes == ("Colonne « Nom » ignorée (inconnue).",)
    assert parsed.rows == (
        ResultRow(2, dt.date(2026, 3, 5), "F", "T1", "1234567890A", "PLP-CP03-04", "2", None),
    )


def test_symbols_levels_dates_and_spaces_are_normalised() -> None:
    rows = [
        ["05.03.2026", "F", "Contrôle\u00a0  final", "12345 67890A", "PLP-CP03-04", "--", ""],
        ["2026-03-05T00:00:00", "F", "Contrôle final", "1234567890B", "PLP-CP03-04", "+", ""],
        ["5-3-2026", "F", "Contrôle final", "1234567890C", "PLP-CP03-04", "ne", ""],
    ]
    parsed = read_results(csv_bytes(rows), "x.csv")

    assert parsed.problems == ()
    assert [row.level for row in parsed.rows] == ["1", "3", "NE"]
    assert {row.evaluation_key for row in parsed.rows} == {
        (dt.date(2026, 3, 5), "F", "Contrôle final")
    }
    assert parsed.rows[0].ine == "1234567890A"


def test_every_bad_line_is_reported_with_its_number() -> None:
    data = (
        b"date;nature;titre;INE;critere;niveau;commentaire\r\n"
        b"05/03/2026;F;T;1234567890A;PLP-CP03-04;3;ok\r\n"  # 2: fine
        b"31/02/2026;X;T;1234567890A;PLP-CP03-04;7;\r\n"  # 3: date, nature, level
        b"\r\n"  # 4: blank, skipped
        b"05/03/2026;F;T;1234567890A\r\n"  # 5: wrong column count
        b'05/03/2026;F;"deux\r\nlignes";1234567890A;PLP-CP03-04;3;\r\n'  # 6-7: one record
        b"05/03/26;F;;;;;\r\n"  # 8: two-digit year, empty fields
        b"05/03/2026;F;T;1234567890A;PLP-CP03-04;4;\r\n"  # 9: duplicate of line 2
        b"05/03/2026;F;T;1234567890B;PLP-CP03-04;3;x;y\r\n"  # 10: one column too many
        b"01/01/1900;F;T;1234567890C;PLP-CP03-04;3;\r\n"  # 11: impossible year
        b"05/03/2026;F;T;1234567890D;PLP-CP03-04;3\r\n"  # 12: comment left out: fine
        b"05/03/2026;F;T;1234567890E;PLP-CP03-04;3;;;\r\n"  # 13: empty extra cells: fine
    )
    parsed = read_results(data, "x.csv")

    assert messages(parsed) == [
        "Ligne 3 : date « 31/02/2026 » impossible (ce jour n'existe pas).",
        "Ligne 3 : nature « X » inconnue (attendu : F ou E).",
        "Ligne 3 : niveau « 7 » inconnu (attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++).",
        "Ligne 5 : 4 colonnes au lieu de 7.",
        "Ligne 8 : date « 05/03/26 » incomplète : l'année doit avoir 4 chiffres (JJ/MM/AAAA).",
        "Ligne 8 : titre manquant.",
        "Ligne 8 : INE manquant.",
        "Ligne 8 : critère manquant.",
        "Ligne 8 : niveau manquant (attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++).",
        "Ligne 9 : résultat en double : INE « 1234567890A », critère « PLP-CP03-04 » déjà à "
        "la ligne 2 pour la même évaluation.",
        "Ligne 10 : 8 colonnes au lieu de 7.",
        "Ligne 11 : date « 01/01/1900 » hors des années possibles (2000 à 2099).",
    ]
    assert [row.line for row in parsed.rows] == [2, 3, 6, 8, 9, 11, 12, 13]
    assert parsed.rows[2].title == "deux lignes"
    assert parsed.line_count == 10


def test_same_learner_and_criterion_in_two_evaluations_is_no_duplicate() -> None:
    rows = [
        ["05/03/2026", "F", "T", "1234567890A", "PLP-CP03-04", "3", ""],
        ["05/03/2026", "E", "T", "1234567890A", "PLP-CP03-04", "3", ""],
        ["06/03/2026", "F", "T", "1234567890A", "PLP-CP03-04", "3", ""],
        ["05/03/2026", "F", "T bis", "1234567890A", "PLP-CP03-04", "3", ""],
    ]
    assert read_results(csv_bytes(rows), "x.csv").problems == ()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["date", "nature", "titre", "INE", "critere"],
            "Ligne 1 : colonne manquante dans l'en-tête : niveau "
            "(attendu : date;nature;titre;INE;critere;niveau;commentaire).",
        ),
        (
            ["Nom", "Prénom", "Note"],
            "Ligne 1 : en-tête non reconnu "
            "(attendu : date;nature;titre;INE;critere;niveau;commentaire).",
        ),
        (
            ["date", "nature", "titre", "INE", "critere", "niveau", "Critère"],
            "Ligne 1 : colonne « Critère » en double dans l'en-tête.",
        ),
    ],
)
def test_unusable_header_is_one_problem_on_line_1(header: list[str], expected: str) -> None:
    parsed = read_results(csv_bytes([["05/03/2026"] * len(header)], header=header), "x.csv")
    assert messages(parsed) == [expected]
    assert parsed.rows == ()


def test_formula_looking_text_is_kept_as_typed() -> None:
    dangerous = ['=HYPERLINK("http://evil.example";"clic")', "+33 6 12", "-2+3", "@SUM(A1)"]
    rows = [
        ["05/03/2026", "F", "T", f"123456789{index}A", "PLP-CP03-04", "3", text]
        for index, text in enumerate(dangerous)
    ]
    csv_rows = [[cell if ";" not in cell else '"' + cell.replace('"', '""') + '"' for cell in row]
                for row in rows]  # fmt: skip
    parsed = read_results(csv_bytes(csv_rows), "x.csv")
    assert parsed.problems == ()
    assert [row.comment for row in parsed.rows] == dangerous

    from_xlsx = read_results(xlsx_bytes(rows), "x.xlsx")
    assert from_xlsx.problems == ()
    assert [row.comment for row in from_xlsx.rows] == dangerous

    # A real formula is never evaluated: its value as Excel last computed it is read
    # (openpyxl saves none, so the comment is empty).
    with_formula = read_results(xlsx_bytes(rows[:1], formulas=True), "x.xlsx")
    assert with_formula.problems == ()
    assert with_formula.rows[0].comment is None


def test_xlsx_with_date_cells_numbers_and_blank_rows() -> None:
    rows: list[list[Any]] = [
        [dt.date(2026, 3, 5), "F", TITLE, "1234567890A", "PLP-CP03-04", 3, "Très bien"],
        [],  # row 3: blank, skipped but counted in the numbering
        [dt.datetime(2026, 3, 5), "F", TITLE, "1234567890B", "PLP-CP03-04", 4.0, None],
        ["05/03/2026", "F", TITLE, "1234567890C", "PLP-CP03-04", "--"],
        [46086, "F", TITLE, "1234567890D", "PLP-CP03-04", "ABS"],  # Excel day number
        [dt.date(2026, 2, 1), "X", TITLE, "1234567890E", "PLP-CP03-04", 5],
    ]
    parsed = read_results(xlsx_bytes(rows), "résultats.xlsx")

    assert parsed.format_label == "XLSX"
    assert messages(parsed) == [
        "Ligne 7 : nature « X » inconnue (attendu : F ou E).",
        "Ligne 7 : niveau « 5 » inconnu (attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++).",
    ]
    assert [(row.line, row.eval_date, row.level) for row in parsed.rows] == [
        (2, dt.date(2026, 3, 5), "3"),
        (4, dt.date(2026, 3, 5), "4"),
        (5, dt.date(2026, 3, 5), "1"),
        (6, dt.date(2026, 3, 5), "ABS"),
        (7, dt.date(2026, 2, 1), None),
    ]
    assert parsed.rows[0].title == TITLE
    assert parsed.rows[0].comment == "Très bien"


def test_xlsx_value_outside_the_header_columns() -> None:
    rows = [["05/03/2026", "F", "T", "1234567890A", "PLP-CP03-04", "3", "", "", "oups"]]
    parsed = read_results(xlsx_bytes(rows), "x.xlsx")
    assert messages(parsed) == ["Ligne 2 : valeur hors des 7 colonnes de l'en-tête."]


def test_xlsx_stray_cell_far_right_is_not_read() -> None:
    """A cell in column XFD must not turn each row into 16 384 values to scan."""
    book = Workbook()
    sheet = book.active
    sheet.append(["date", "nature", "titre", "INE", "critere", "niveau", "commentaire"])
    for _ in range(200):
        sheet.append(["05/03/2026", "F", "T", "1234567890A", "PLP-CP03-04", "3", ""])
        sheet.cell(row=sheet.max_row, column=16_384, value="x")
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = read_results(buffer.getvalue(), "x.xlsx")
    assert len(parsed.rows) == 200
    assert {len(row.comment or "") for row in parsed.rows} == {0}


def refusal(data: bytes, name: str = "x.csv") -> str:
    with pytest.raises(ValidationError) as caught:
        read_results(data, name)
    return caught.value.message


def test_whole_file_refusals_are_french() -> None:
    assert "est vide" in refusal(b"")
    assert "est vide" in refusal(b"\r\n ;;\r\n")
    assert "seulement l'en-tête" in refusal(csv_bytes([]))
    assert "UTF-16" in refusal(csv_bytes(LINES, encoding="utf-16"))
    assert "ni en UTF-8 ni en Windows-1252" in refusal(
        csv_bytes(LINES, encoding="cp1252") + "é".encode("cp1252") + b"\x81"
    )
    assert "est en UTF-8 mais contient un octet invalide (0xE9) ligne 5" in refusal(
        csv_bytes(LINES) + "é".encode("cp1252") + b"\x81"
    )
    assert "annonce l'encodage UTF-8" in refusal(
        b"\xef\xbb\xbf" + csv_bytes(LINES, encoding="cp1252")
    )
    assert "caractères nuls" in refusal(csv_bytes(LINES) + b"\x00")
    assert "(.xls)" in refusal(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "vieux.xls")
    assert "mot de passe" in refusal(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "protégé.xlsx")
    assert "n'est pas un classeur XLSX lisible" in refusal(b"not a zip", "x.xlsx")
    assert "n'est pas un classeur XLSX lisible" in refusal(b"PK\x03\x04garbage", "x.csv")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hello.txt", "no workbook here")
    assert "n'est pas un classeur XLSX lisible" in refusal(archive.getvalue(), "x.xlsx")


def test_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "trop gros (20,0 Mo" in refusal(b"x" * (20 * 1024 * 1024 + 1))
    monkeypatch.setattr(results_file, "MAX_ROWS", 2)
    assert read_results(csv_bytes(LINES[:2]), "x.csv").line_count == 2
    assert "plus de 2 lignes" in refusal(csv_bytes(LINES))
    assert "plus de 2 lignes" in refusal(xlsx_bytes(LINES), "x.xlsx")


def test_xlsx_zip_bomb_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results_file, "MAX_UNCOMPRESSED", 10_000)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("xl/worksheets/sheet1.xml", "<" + "a" * 20_000)
    assert "trop gros une fois décompressé" in refusal(archive.getvalue(), "x.xlsx")


@fuzz(300)
@given(data=st.binary(max_size=2000), name=st.sampled_from(["x.csv", "x.xlsx", "x.txt"]))
def test_random_bytes_never_crash(data: bytes, name: str) -> None:
    try:
        parsed = read_results(data, name)
    except ValidationError as exc:
        assert exc.message
        return
    for problem in parsed.problems:
        assert problem.line >= 1
        assert str(problem).startswith(f"Ligne {problem.line} : ")


CELL = st.one_of(
    st.sampled_from(["05/03/2026", "2026-03-05", "31/02/2026", "F", "E", "3", "++", "ABS", ""]),
    st.text(max_size=12),
)


@fuzz(300)
@given(
    header=st.permutations(HEADER),
    rows=st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=12),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_random_csv_never_crashes(
    header: list[str], rows: list[list[str]], delimiter: str, encoding: str
) -> None:
    text = "\n".join(delimiter.join(row) for row in [header, *rows])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    try:
        parsed = read_results(data, "x.csv")
    except ValidationError as exc:
        assert exc.message
        return
    lines = [problem.line for problem in parsed.problems]
    assert lines == sorted(lines)
    assert len(parsed.rows) <= parsed.line_count


VALID_XLSX = xlsx_bytes(LINES)


@fuzz(150)
@given(
    damage=st.lists(
        st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.integers(0, 255)), max_size=4
    ),
    keep=st.integers(100, len(VALID_XLSX)),
)
def test_damaged_xlsx_never_crashes(damage: list[tuple[int, int]], keep: int) -> None:
    data = bytearray(VALID_XLSX[:keep])
    for offset, value in damage:
        if offset < len(data):
            data[offset] = value
    try:
        read_results(bytes(data), "x.xlsx")
    except ValidationError as exc:
        assert exc.message


def test_xlsx_parts_are_bounded_while_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    from livret.exchange import xlsx_bounds

    data = xlsx_bytes(LINES)
    assert read_results(data, "x.xlsx").problems == ()
    limits = [
        ("MAX_ROW_CELLS", 6, "une ligne de plus de 6 cellules"),
        ("MAX_CELLS", 20, "plus de 20 cellules"),
        ("MAX_TEXT_CHARS", 10, "un texte de plus de 10 caractères"),
        ("MAX_LOOSE_ELEMENTS", 5, "plus de 5 éléments hors des lignes"),
        ("MAX_MEMBERS", 3, "ce n'est pas un classeur enregistré par un tableur"),
    ]
    for limit, value, fragment in limits:
        with monkeypatch.context() as patch:
            patch.setattr(xlsx_bounds, limit, value)
            message = refusal(data, "x.xlsx")
        assert fragment in message, (limit, message)
        assert message.startswith("« x.xlsx »")


def test_one_encoding_for_the_whole_csv() -> None:
    accents = [[*LINES[0][:2], "Évaluation", *LINES[0][3:]], LINES[1]]
    windows = csv_bytes(accents, encoding="cp1252")
    assert read_results(windows, "x.csv").format_label.startswith("CSV Windows-1252")
    damaged = csv_bytes(accents) + b"05/03/2026;F;R\xe9sum\xe9;1234567890A;X;3\r\n"
    message = refusal(damaged)
    assert "est en UTF-8 mais contient un octet invalide (0xE9) ligne 4" in message
    assert "Rien n'a été lu" in message


def test_overlong_cells_are_line_problems_quoted_short() -> None:
    parsed = read_results(
        csv_bytes(
            [
                [*LINES[0][:6], "c" * (results_file.COMMENT_MAX + 1)],
                [LINES[0][0], "F", "T", "9" * 70, "K" * 41, "Z" * 5000, ""],
            ]
        ),
        "x.csv",
    )
    assert messages(parsed) == [
        f"Ligne 2 : commentaire trop long ({results_file.COMMENT_MAX + 1} caractères ; "
        f"{results_file.COMMENT_MAX} au plus).",
        f"Ligne 3 : INE « {'9' * 59}… » trop long (70 caractères).",
        f"Ligne 3 : critère « {'K' * 40}K » trop long (41 caractères).",
        f"Ligne 3 : niveau « {'Z' * 59}… » inconnu "
        "(attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++).",
    ]
