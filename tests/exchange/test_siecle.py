"""Parsing the SIECLE export: a realistic ISO-8859-15 file, its messy parts, unsafe XML, zips.

The files in tests/exchange/data/ are written by hand in the shape of a real
ElevesSansAdresses.xml (ISO-8859-15, CRLF line ends, extra elements Livret ignores).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.errors import ValidationError
from livret.exchange import siecle
from livret.exchange.siecle import (
    SiecleFile,
    parse_date,
    parse_siecle,
    parse_siecle_bytes,
    read_siecle,
)
from tests.fuzzing import fuzz

DATA = Path(__file__).parent / "data"
MAIN = DATA / "ElevesSansAdresses.xml"
OLD_FORMAT = DATA / "ElevesSansAdresses_2019_ancien_format.xml"
BOMB = DATA / "billion_laughs.xml"
EXTERNAL_ENTITY = DATA / "external_entity.xml"

DECLARATION = '<?xml version="1.0" encoding="ISO-8859-15"?>'


def main_text() -> str:
    return MAIN.read_bytes().decode("iso-8859-15")


def minimal(eleves: str, structures: str = "", year: str = "2025") -> str:
    return (
        f"{DECLARATION}\n<BEE_ELEVES><PARAMETRES><UAJ>0331234X</UAJ>"
        f"<ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES>{eleves}"
        f"</ELEVES><STRUCTURES>{structures}</STRUCTURES></DONNEES></BEE_ELEVES>\n"
    )


def eleve(eleve_id: str, ine: str, name: str = "DUPONT", first: str = "Anne") -> str:
    return (
        f'<ELEVE ELEVE_ID="{eleve_id}"><ID_NATIONAL>{ine}</ID_NATIONAL>'
        f"<NOM_DE_FAMILLE>{name}</NOM_DE_FAMILLE><PRENOM>{first}</PRENOM>"
        "<DATE_NAISS>01/02/2009</DATE_NAISS></ELEVE>"
    )


def by_id(parsed: SiecleFile) -> dict[str, siecle.SiecleLearner]:
    return {learner.eleve_id: learner for learner in parsed.learners}


# -- the realistic file ----------------------------------------------------------------


def test_realistic_file() -> None:
    raw = MAIN.read_bytes()
    assert "CŒUR".encode("iso-8859-15") in raw  # œ/Œ exist in ISO-8859-15, not in Latin-1
    parsed = read_siecle(MAIN)

    assert parsed.school_year_start == 2025
    assert parsed.school_year_label == "2025-2026"
    assert parsed.uaj == "0331234X"
    learners = by_id(parsed)
    assert list(learners) == [
        "2201001", "2201002", "2201003", "2201004", "2201005", "2201007", "2201009", "2201011",
    ]  # fmt: skip

    chloe = learners["2201001"]
    assert (chloe.ine, chloe.family_name, chloe.first_name) == ("070123456AB", "LEFÈVRE", "Chloé")
    assert chloe.birth_date == dt.date(2009, 4, 3)
    assert chloe.left_on is None
    assert chloe.division == "1PLP1"  # the group 1PLP_ANG_G1 is ignored

    lea = learners["2201002"]
    assert (lea.ine, lea.family_name, lea.first_name) == ("1234567890A", "BÉNARD", "Léa")
    assert lea.division == "1PLP1"  # " 1PLP1 " trimmed

    assert learners["2201003"].family_name == "CŒUR"
    assert learners["2201003"].first_name == "Éloïse"

    moussa = learners["2201004"]
    assert moussa.left_on == dt.date(2026, 1, 12)
    assert moussa.division == "TPLP1"

    jean = learners["2201005"]
    assert (jean.family_name, jean.first_name) == ("MARTIN-DUBOIS", "Jean-Baptiste")
    assert jean.left_on is None  # <DATE_SORTIE></DATE_SORTIE> is no date
    assert jean.division == "TPLP1"  # the group listed before the division is ignored

    assert learners["2201007"].division is None
    assert learners["2201009"].birth_date is None  # 31/02/2010 is no date
    assert learners["2201011"].division == "1PLP1"
    assert parsed.divisions == ("1PLP1", "2PLP1", "TPLP1")

    skipped = {skip.eleve_id: skip for skip in parsed.skipped}
    assert set(skipped) == {"2201006", "2201008"}
    assert skipped["2201006"].reason == "INE absent"
    assert skipped["2201006"].display_name == "PETIT Lucas"
    assert "INE « 12345 » invalide" in skipped["2201008"].reason

    problems = "\n".join(parsed.problems)
    assert "Élève 2201006 (PETIT Lucas) : INE absent, élève ignoré." in parsed.problems
    assert "Élève 2201007 (GARÇON Inès) : aucune division" in problems
    assert "Élève 2201009 (VINCENT Théo) : date de naissance « 31/02/2010 » illisible" in problems
    assert "INE 6789012345F présent 2 fois (élèves 2201010, 2201011)" in problems
    assert "élève 2201011" in problems


def test_old_format_with_nom() -> None:
    parsed = read_siecle(OLD_FORMAT)
    assert parsed.school_year_label == "2019-2020"
    assert [(lr.family_name, lr.first_name, lr.division) for lr in parsed.learners] == [
        ("DELŒIL", "Zoé", "2MEI"),
        ("FERRÉ", "Noël", "TMEI"),
    ]
    assert parsed.problems == ()


def test_nom_de_famille_wins_over_nom() -> None:
    text = minimal(
        '<ELEVE ELEVE_ID="1"><ID_NATIONAL>070123456AB</ID_NATIONAL><NOM>ANCIEN</NOM>'
        "<NOM_DE_FAMILLE>NOUVEAU</NOM_DE_FAMILLE><PRENOM>Al</PRENOM></ELEVE>"
    )
    assert parse_siecle(text.encode("iso-8859-15")).learners[0].family_name == "NOUVEAU"


# -- encodings -------------------------------------------------------------------------


def test_declared_encoding_is_honoured() -> None:
    # The same bytes declared ISO-8859-1: 0xBC is "¼" there, "Œ" in ISO-8859-15.
    latin1 = MAIN.read_bytes().replace(b'encoding="ISO-8859-15"', b'encoding="ISO-8859-1"')
    names = {lr.eleve_id: lr.family_name for lr in parse_siecle(latin1).learners}
    assert names["2201003"] == "C¼UR"
    assert names["2201001"] == "LEFÈVRE"


@pytest.mark.parametrize(
    ("declared", "codec", "bom"),
    [
        pytest.param("UTF-8", "utf-8", b"", id="utf-8"),
        pytest.param("UTF-8", "utf-8", b"\xef\xbb\xbf", id="utf-8-bom"),
        pytest.param("UTF-16", "utf-16", b"", id="utf-16"),
    ],
)
def test_unicode_files_accepted(declared: str, codec: str, bom: bytes) -> None:
    text = main_text().replace('encoding="ISO-8859-15"', f'encoding="{declared}"')
    parsed = parse_siecle(bom + text.encode(codec))
    assert by_id(parsed)["2201003"].family_name == "CŒUR"
    assert len(parsed.learners) == 8
    assert not any("encodage" in problem for problem in parsed.problems)


def test_undeclared_encoding() -> None:
    text = main_text().replace(DECLARATION, "")
    assert by_id(parse_siecle(text.encode("utf-8")))["2201003"].family_name == "CŒUR"
    parsed = parse_siecle(text.encode("iso-8859-15"))
    assert by_id(parsed)["2201003"].family_name == "CŒUR"
    assert any("lu en ISO-8859-15" in problem for problem in parsed.problems)


def test_utf8_declared_latin_is_reported() -> None:
    parsed = parse_siecle(main_text().encode("utf-8"))  # still declares ISO-8859-15
    assert by_id(parsed)["2201001"].family_name == "LEFÃ\x88VRE"  # honoured, but…
    assert any("semble être en UTF-8" in problem for problem in parsed.problems)


def test_unknown_encoding_refused() -> None:
    data = minimal(eleve("1", "070123456AB")).replace("ISO-8859-15", "X-KLINGON").encode()
    with pytest.raises(ValidationError, match="encodage inconnu"):
        parse_siecle(data)


# -- unsafe and broken XML ---------------------------------------------------------------


@pytest.mark.parametrize("path", [BOMB, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
def test_entities_refused(path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        read_siecle(path)
    assert caught.value.message.startswith("Fichier SIECLE refusé : il contient des entités XML")
    assert "root:" not in caught.value.message


def test_internal_entity_without_doctype_is_not_expanded() -> None:
    data = minimal(eleve("1", "070123456AB", name="&lol;")).encode()
    with pytest.raises(ValidationError, match="entité inconnue"):
        parse_siecle(data)


def test_malformed_xml_reports_line_and_column() -> None:
    lines = main_text().split("\r\n")
    number = next(i for i, line in enumerate(lines, start=1) if "<PRENOM>Léa" in line)
    lines[number - 1] = "        <PRENOM>Léa</PRENOMM>"
    data = "\r\n".join(lines).encode("iso-8859-15")
    with pytest.raises(ValidationError) as caught:
        parse_siecle(data)
    message = caught.value.message
    assert message.startswith("Fichier SIECLE illisible : XML mal formé ")
    assert f"ligne {number}, colonne " in message
    assert "balise fermante" in message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "Fichier SIECLE vide"),
        (b"   \n", "Fichier SIECLE vide"),
        (b"%PDF-1.7\n...", "XML mal formé ligne 1"),
        (b"<BEE_ELEVES>", "fichier incomplet"),
        (
            f"{DECLARATION}<STS_EDT><PARAMETRES/></STS_EDT>".encode(),
            "racine « STS_EDT », attendu « BEE_ELEVES »",
        ),
        (minimal("").encode(), "ne contient aucun élève"),
        (b"<BEE_ELEVES><PARAMETRES/></BEE_ELEVES>", "ne contient aucun élève"),
    ],
)
def test_refusals(data: bytes, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse_siecle(data)


def test_namespace_and_school_year_variants() -> None:
    text = minimal(eleve("1", "070123456ab"), year="2025-2026").replace(
        "<BEE_ELEVES>", '<BEE_ELEVES xmlns="urn:example">'
    )
    parsed = parse_siecle(text.encode("iso-8859-15"))
    assert parsed.school_year_start == 2025
    assert parsed.learners[0].ine == "070123456AB"
    unreadable = parse_siecle(minimal(eleve("1", "070123456AB"), year="vingt").encode())
    assert unreadable.school_year_start is None
    assert any("Année scolaire illisible" in problem for problem in unreadable.problems)


# -- learners --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234567890A", "1234567890A"),
        ("123456789AB", "123456789AB"),
        ("123456789ab", "123456789AB"),
        (" 1234 567 890a ", "1234567890A"),
        ("12345", None),
        ("1234567890AB", None),
        ("ABCDEFGHIJK", None),
        ("12345678901", None),
        ("1234567890é", None),
    ],
)
def test_ine_format(raw: str, expected: str | None) -> None:
    parsed = parse_siecle(minimal(eleve("7", raw)).encode("iso-8859-15"))
    if expected is None:
        assert parsed.learners == ()
        assert "invalide" in parsed.skipped[0].reason
    else:
        assert parsed.learners[0].ine == expected


def test_duplicate_ine_without_a_single_present_record_skips_all() -> None:
    parsed = parse_siecle(
        minimal(eleve("1", "070123456AB") + eleve("2", "070123456ab", name="AUTRE")).encode()
    )
    assert parsed.learners == ()
    assert [skip.eleve_id for skip in parsed.skipped] == ["1", "2"]
    assert all(skip.ine == "070123456AB" for skip in parsed.skipped)
    assert any("ces élèves sont ignorés" in problem for problem in parsed.problems)


def test_messy_learners() -> None:
    eleves = (
        '<ELEVE ELEVE_ID="1"><ID_NATIONAL>070123456AB</ID_NATIONAL>'
        "<NOM_DE_FAMILLE>  DE   LA\tFONTAINE </NOM_DE_FAMILLE><PRENOM/></ELEVE>"
        '<ELEVE ELEVE_ID="2"><ID_NATIONAL>070123456AC</ID_NATIONAL><PRENOM>Sans</PRENOM></ELEVE>'
        '<ELEVE ELEVE_ID="3"><ID_NATIONAL>070123456AD</ID_NATIONAL>'
        f"<NOM_DE_FAMILLE>{'X' * 101}</NOM_DE_FAMILLE><PRENOM>Long</PRENOM></ELEVE>"
        "<ELEVE><ID_NATIONAL>070123456AE</ID_NATIONAL><NOM_DE_FAMILLE>SANS-ID</NOM_DE_FAMILLE>"
        "<PRENOM>Zo</PRENOM><DATE_NAISS>2009-02-03</DATE_NAISS>"
        "<DATE_SORTIE>bientôt</DATE_SORTIE></ELEVE>"
        '<ELEVE ELEVE_ID="5"><ID_NATIONAL>070123456AF</ID_NATIONAL>'
        "<NOM_DE_FAMILLE>DEUX</NOM_DE_FAMILLE><PRENOM>Classes</PRENOM></ELEVE>"
    )
    structures = (
        '<STRUCTURES_ELEVE ELEVE_ID="5"><STRUCTURE><CODE_STRUCTURE>1A</CODE_STRUCTURE>'
        "<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>"
        '<STRUCTURES_ELEVE ELEVE_ID="5"><STRUCTURE><CODE_STRUCTURE>1B</CODE_STRUCTURE>'
        "<TYPE_STRUCTURE>d</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>"
        '<STRUCTURES_ELEVE ELEVE_ID="999"><STRUCTURE><CODE_STRUCTURE>2Z</CODE_STRUCTURE>'
        "<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>"
    )
    parsed = parse_siecle(minimal(eleves, structures).encode("iso-8859-15"))
    learners = [(lr.eleve_id, lr.family_name, lr.first_name, lr.division) for lr in parsed.learners]
    assert learners == [
        ("1", "DE LA FONTAINE", "", None),
        ("", "SANS-ID", "Zo", None),
        ("5", "DEUX", "Classes", "1A"),
    ]
    assert parsed.learners[1].birth_date == dt.date(2009, 2, 3)
    assert parsed.learners[1].left_on is None
    reasons = {skip.eleve_id: skip.reason for skip in parsed.skipped}
    assert reasons == {"2": "nom de famille absent", "3": "nom ou prénom de plus de 100 caractères"}
    problems = "\n".join(parsed.problems)
    assert "Élève 1 (DE LA FONTAINE) : prénom absent." in problems
    assert "Élève n° 4 du fichier (sans ELEVE_ID) (SANS-ID Zo) : date de sortie « bientôt »" in (
        problems
    )
    assert "plusieurs divisions (1A, 1B), 1A est retenue" in problems
    assert parsed.divisions == ("1A",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/04/2009", dt.date(2009, 4, 3)),
        ("3/4/2009", dt.date(2009, 4, 3)),
        ("2009-04-03", dt.date(2009, 4, 3)),
        ("29/02/2024", dt.date(2024, 2, 29)),
        ("29/02/2025", None),
        ("00/01/2009", None),
        ("03-04-2009", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


# -- files and zips --------------------------------------------------------------------


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_export(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "ElevesSansAdresses.zip",
        {
            "__MACOSX/._ElevesSansAdresses.xml": b"\x00\x05\x16\x07",
            "LISEZMOI.txt": b"Export SIECLE",
            "ElevesSansAdresses.xml": MAIN.read_bytes(),
        },
    )
    assert read_siecle(archive) == read_siecle(MAIN)


def test_zip_named_xml_and_several_xml(tmp_path: Path) -> None:
    # Recognised by content, whatever its name.
    disguised = make_zip(
        tmp_path / "export.xml", {"export/ElevesSansAdresses.xml": MAIN.read_bytes()}
    )
    assert read_siecle(disguised) == read_siecle(MAIN)
    several = make_zip(
        tmp_path / "deux.zip",
        {"Nomenclature.xml": b"<BEE_NOMENCLATURES/>", "ElevesSansAdresses.xml": MAIN.read_bytes()},
    )
    assert read_siecle(several) == read_siecle(MAIN)
    ambiguous = make_zip(tmp_path / "ambigu.zip", {"a.xml": b"<a/>", "b.xml": b"<b/>"})
    with pytest.raises(ValidationError, match="plusieurs fichiers XML"):
        read_siecle(ambiguous)
    empty = make_zip(tmp_path / "vide.zip", {"LISEZMOI.txt": b"rien"})
    with pytest.raises(ValidationError, match="aucun fichier XML"):
        read_siecle(empty)


def test_zip_bomb_refused(tmp_path: Path) -> None:
    # 3 Mo of blanks inside a valid export compress about 1000 times.
    padded = MAIN.read_bytes().replace(b"<DONNEES>", b"<DONNEES>" + b" " * 3_000_000)
    bomb = make_zip(tmp_path / "bombe.zip", {"ElevesSansAdresses.xml": padded})
    assert bomb.stat().st_size < 20_000
    with pytest.raises(ValidationError, match="taux de compression anormal"):
        read_siecle(bomb)


def test_size_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(siecle, "MAX_FILE_BYTES", 5000)
    with pytest.raises(ValidationError, match="au-delà de la limite"):
        read_siecle(MAIN)  # 6,8 ko
    with pytest.raises(ValidationError, match="au-delà de la limite"):
        parse_siecle(MAIN.read_bytes())
    archive = make_zip(tmp_path / "gros.zip", {"ElevesSansAdresses.xml": MAIN.read_bytes()})
    with pytest.raises(ValidationError, match="une fois décompressé"):
        read_siecle(archive)


def test_bytes_entry_point_reads_xml_and_zip_like_the_file(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "export.zip", {"ElevesSansAdresses.xml": MAIN.read_bytes()})
    expected = read_siecle(MAIN)
    assert read_siecle(archive) == expected
    assert parse_siecle_bytes(MAIN.read_bytes(), MAIN.name) == expected
    assert parse_siecle_bytes(archive.read_bytes(), archive.name) == expected
    # The same French refusals, naming the file given.
    broken = archive.read_bytes()[:100]
    with pytest.raises(ValidationError, match=r"Archive « envoi\.zip » illisible"):
        parse_siecle_bytes(broken, "envoi.zip")
    empty = make_zip(tmp_path / "vide.zip", {"LISEZMOI.txt": b"rien"})
    with pytest.raises(
        ValidationError, match=r"« vide\.zip » : elle ne contient aucun fichier XML"
    ):
        parse_siecle_bytes(empty.read_bytes(), "vide.zip")


def test_bytes_entry_point_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(siecle, "MAX_FILE_BYTES", 5000)
    with pytest.raises(ValidationError, match=r"Fichier SIECLE refusé : « gros\.xml » fait "):
        parse_siecle_bytes(MAIN.read_bytes(), "gros.xml")
    with pytest.raises(ValidationError, match=r"« gros\.xml » fait .* au-delà de la limite"):
        siecle.check_size(5001, "gros.xml")
    siecle.check_size(5000, "gros.xml")


def test_broken_zip_and_missing_files(tmp_path: Path) -> None:
    data = make_zip(tmp_path / "ok.zip", {"ElevesSansAdresses.xml": MAIN.read_bytes()}).read_bytes()
    truncated = tmp_path / "tronque.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValidationError, match="illisible"):
        read_siecle(truncated)
    with pytest.raises(ValidationError, match="Fichier introuvable"):
        read_siecle(tmp_path / "absent.xml")
    with pytest.raises(ValidationError, match="n'est pas un fichier"):
        read_siecle(tmp_path)


# -- property: never anything but a ValidationError ------------------------------------

TOKENS = st.sampled_from(
    [
        "<", ">", "</", "/>", "=", '"', "'", "&", ";", "&#", "&amp;", "<!--", "-->",
        "<![CDATA[", "]]>", "<?xml", "?>", "<!DOCTYPE", "<!ENTITY", " ", "\n", "é", "œ",
        "BEE_ELEVES", "PARAMETRES", "ANNEE_SCOLAIRE", "DONNEES", "ELEVES", "ELEVE",
        "ELEVE_ID", "ID_NATIONAL", "NOM_DE_FAMILLE", "NOM", "PRENOM", "DATE_NAISS",
        "DATE_SORTIE", "STRUCTURES", "STRUCTURES_ELEVE", "STRUCTURE", "CODE_STRUCTURE",
        "TYPE_STRUCTURE", "D", "G", "2025", "31/12/2009", "070123456AB", "encoding=",
        "ISO-8859-15", "UTF-8",
    ]
)  # fmt: skip


def check_parses_or_refuses(data: bytes) -> None:
    try:
        parsed = parse_siecle(data)
    except ValidationError as exc:
        assert exc.message
        assert "\n" not in exc.message
    else:
        assert isinstance(parsed, SiecleFile)


@fuzz(300)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    check_parses_or_refuses(data)


@fuzz(300)
@given(
    st.lists(st.one_of(TOKENS, st.text(max_size=8)), max_size=80),
    st.sampled_from(["utf-8", "iso-8859-15", "utf-16"]),
)
def test_random_xmlish_text_never_crashes(parts: list[str], encoding: str) -> None:
    text = "".join(parts)
    check_parses_or_refuses(text.encode(encoding, errors="replace"))
    check_parses_or_refuses(minimal(text).encode("utf-8", errors="replace"))


@fuzz(100)
@given(st.binary(max_size=3000))
def test_random_zip_bytes_never_crash(tail: bytes) -> None:
    path_data = b"PK\x03\x04" + tail
    try:
        parsed = siecle._zip_member(path_data, "x.zip")
    except ValidationError:
        return
    assert isinstance(parsed, bytes)


def test_zip_member_reads_from_memory() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ElevesSansAdresses.xml", MAIN.read_bytes())
    assert siecle._zip_member(buffer.getvalue(), "x.zip") == MAIN.read_bytes()
