"""Fuzzing the readers with structured damage: only the reader's French error, never more.

Valid files (a results CSV and XLSX, the SIECLE export, the bundled référentiel) are
damaged the way files get damaged or forged: bytes overwritten, cut, hostile tokens
inserted (NUL, bad UTF-8, quotes, entities, DOCTYPE), fields made huge. Each reader
must return a result within its bounds or raise its ValidationError (French, one
message); anything else is a bug. Examples per test: tests/fuzzing.py (a few in
`make test`, LIVRET_FUZZ_EXAMPLES for long runs).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from livret.domain.errors import ValidationError
from livret.domain.referentiel import (
    CRITERION_TEXT_MAX,
    STRING_MAX,
    TITLE_MAX,
    InvalidReferentiel,
    parse_referentiel_bytes,
)
from livret.exchange import results_file
from livret.exchange.results_file import read_results
from livret.exchange.siecle import MAX_NAME_LENGTH, SiecleFile, parse_siecle_bytes
from tests.exchange.hostile_files import PMIA, SIECLE_MAIN, _workbook
from tests.fuzzing import fuzz

CSV = (
    "date;nature;titre;INE;critere;niveau;commentaire\r\n"
    "05/03/2026;F;Évaluation à l'atelier;1234567890A;PLP-CP03-04;3;Très bien\r\n"
    "05/03/2026;F;Évaluation à l'atelier;1234567890B;PLP-CP03-04;++;\r\n"
    '06/03/2026;E;"Stage; entreprise";1234567890A;PLP-CP01-01;ABS;"=SOMME(A1)"\r\n'
).encode()
XLSX = _workbook()
SIECLE = SIECLE_MAIN.read_bytes()
REFERENTIEL = PMIA.read_bytes()

TOKENS = st.sampled_from(
    [
        b"\x00", b"\xff", b"\xe9", b"\xc3", b"\xc3\xa9", b"\xef\xbb\xbf", b"\r", b"\n", b'"',
        b";", b",", b"\t", b"<", b">", b"&", b"&lol;", b"<!DOCTYPE a>", b"]]>", b"{", b"}",
        b"[", b"]", b"9" * 5000, b"x" * 70_000, b"1e999", b"NaN", b"\\u0000", b"=",
    ]
)  # fmt: skip


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with a few bytes overwritten, tokens inserted, maybe cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 4), label="overwrites")):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    for _ in range(draw(st.integers(0, 3), label="inserts")):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(TOKENS)
    if draw(st.booleans(), label="cut"):
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)


def check_results(data: bytes, name: str) -> None:
    try:
        parsed = read_results(data, name)
    except ValidationError as exc:
        assert exc.message.strip()
        return
    lines = [problem.line for problem in parsed.problems]
    assert lines == sorted(lines)
    for row in parsed.rows:  # what could reach the database stays within its bounds
        assert row.title is None or len(row.title) <= results_file.TITLE_MAX
        assert row.comment is None or len(row.comment) <= results_file.COMMENT_MAX
        assert row.ine is None or len(row.ine) <= results_file.CODE_MAX
        assert row.criterion is None or len(row.criterion) <= results_file.CODE_MAX
        assert "\x00" not in (row.comment or "") + (row.title or "")


@fuzz(200)
@given(data=damaged(CSV), name=st.sampled_from(["notes.csv", "notes.txt"]))
def test_damaged_csv_is_read_or_refused_in_french(data: bytes, name: str) -> None:
    check_results(data, name)


SHEET = zipfile.ZipFile(io.BytesIO(XLSX)).read("xl/worksheets/sheet1.xml")


@fuzz(100)
@given(sheet=damaged(SHEET), member=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/styles.xml"]))
def test_xlsx_with_a_damaged_part_is_read_or_refused_in_french(sheet: bytes, member: str) -> None:
    source = zipfile.ZipFile(io.BytesIO(XLSX))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, sheet if info.filename == member else source.read(info))
    check_results(out.getvalue(), "notes.xlsx")


@fuzz(100)
@given(data=damaged(XLSX))
def test_damaged_xlsx_bytes_are_refused_in_french(data: bytes) -> None:
    check_results(data, "notes.xlsx")


def check_siecle(data: bytes, name: str) -> None:
    try:
        parsed = parse_siecle_bytes(data, name)
    except ValidationError as exc:
        assert exc.message.strip()
        assert "\n" not in exc.message
        return
    assert isinstance(parsed, SiecleFile)
    for learner in parsed.learners:
        assert 0 < len(learner.family_name) <= MAX_NAME_LENGTH
        assert len(learner.first_name) <= MAX_NAME_LENGTH
    assert all(len(problem) < 1000 for problem in parsed.problems)


@fuzz(150)
@given(data=damaged(SIECLE))
def test_damaged_siecle_export_is_read_or_refused_in_french(data: bytes) -> None:
    check_siecle(data, "ElevesSansAdresses.xml")


@fuzz(50)
@given(data=damaged(SIECLE), cut=st.integers(0, 400))
def test_damaged_siecle_zip_is_read_or_refused_in_french(data: bytes, cut: int) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ElevesSansAdresses.xml", data)
    zipped = out.getvalue()
    check_siecle(zipped[: len(zipped) - cut] if cut else zipped, "export.zip")


def check_referentiel(data: bytes) -> None:
    try:
        ref = parse_referentiel_bytes(data, "referentiel.json")
    except ValidationError as exc:
        assert exc.message.strip()
        return
    assert len(ref.title) <= TITLE_MAX
    for cc in ref.common_competencies:
        assert len(cc.title) <= TITLE_MAX
    for criterion in ref.criteria():
        assert len(criterion.text) <= CRITERION_TEXT_MAX


@fuzz(150)
@given(data=damaged(REFERENTIEL))
def test_damaged_referentiel_bytes_are_read_or_refused_in_french(data: bytes) -> None:
    check_referentiel(data)


HOSTILE_VALUES = st.one_of(
    st.just("T" * (STRING_MAX + 1)),
    st.just("t" * (CRITERION_TEXT_MAX + 1)),
    st.just(10**40),
    st.just(1e308),
    st.recursive(st.just(1), lambda inner: st.lists(inner, max_size=1), max_leaves=60),
    st.none(),
    st.integers(),
    st.text(max_size=5),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


PMIA_JSON = json.loads(REFERENTIEL)
PMIA_PATHS = _paths(PMIA_JSON)[1:]


@fuzz(150)
@given(
    edits=st.lists(st.tuples(st.sampled_from(PMIA_PATHS), HOSTILE_VALUES), min_size=1, max_size=3)
)
def test_referentiel_with_hostile_values_is_refused_listing_the_field(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = json.loads(REFERENTIEL)
    for path, value in edits:
        target = data
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        check_referentiel(json.dumps(data).encode())
    except InvalidReferentiel as exc:  # pragma: no cover - check_referentiel catches it
        raise AssertionError(exc) from None


def test_the_pristine_files_are_accepted() -> None:
    """The fuzzing starts from files each reader accepts whole."""
    assert read_results(CSV, "notes.csv").problems == ()
    assert read_results(XLSX, "notes.xlsx").problems == ()
    assert parse_siecle_bytes(SIECLE, "ElevesSansAdresses.xml").learners
    assert parse_referentiel_bytes(REFERENTIEL, "pmia.json").criteria()
