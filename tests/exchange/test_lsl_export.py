"""LSL Pro export: the XML round-trips and is checked against docs/lsl-pro.xsd; CSV and XLSX.

A Terminale learner of the demo is given chosen degrees, an appréciation with
characters XML must escape and a PFMP tutor filled in by hand; their synthesis is
written, validated with xmlschema, read back with defusedxml and compared. Broken
files (no INE, a degree out of the scale, a mean above 20) are refused by the schema.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import text

from livret.domain.errors import ValidationError
from livret.domain.lsl import DEGREE_LABELS, Degree, PfmpFill
from livret.domain.roles import Actor, Role
from livret.exchange.lsl_xml import lsl_xml_bytes, parse_lsl_xml, read_lsl_xml, write_lsl_xml
from livret.services.database import Database
from livret.services.establishment import EstablishmentService
from livret.services.lsl import LslClass, LslService

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "lsl-pro.xsd"
TEACHER = Actor(user_id=None, display_name="M. Martin", role=Role.TEACHER)
ADMIN = Actor(user_id=None, display_name="Mme Admin", role=Role.ADMIN)
APPRECIATION = "Très bon stage « chez Agroval » & <sérieux> ;\nà poursuivre."


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def terminale(service: LslService) -> LslClass:
    return next(k for k in service.classes() if k.grade == "Tle")


def prepare(database: Database) -> tuple[LslService, LslClass, int]:
    """The Terminale's first learner with chosen degrees, an appréciation, a filled tutor."""
    EstablishmentService(database, ADMIN).update(
        "Lycée professionnel Jean Moulin", "0750654D", "Quimper", logo=None
    )
    service = LslService(database, TEACHER)
    klass = terminale(service)
    one = service.class_synthesis(klass.id).learners[0]
    learner_id = one.learner.id
    service.accept_proposals(klass.id, learner_id)
    service.choose_degree(klass.id, learner_id, one.competencies[1].competency_id, Degree.MAITRISE)
    service.save_appreciation(klass.id, learner_id, APPRECIATION, based_on="")
    pfmp = one.pfmps[0]
    with database.engine.begin() as connection:
        ids = ",".join(str(i) for i in pfmp.evaluation_ids)
        connection.execute(text(f"UPDATE evaluation SET tutor = NULL WHERE id IN ({ids})"))
    service.fill_pfmp(klass.id, learner_id, pfmp.evaluation_id, PfmpFill(tutor="Mme Le Gall"))
    return service, klass, learner_id


def test_a_terminale_learner_round_trips_through_the_xml(
    demo_database: Database, tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    service, klass, learner_id = prepare(demo_database)
    synthesis = service.synthesis(klass.id, learner_id)
    written = service.document(klass.id, learner_id)
    path = tmp_path / "lsl-terminale.xml"
    write_lsl_xml(path, written)
    schema.validate(str(path))  # raises on any mismatch with docs/lsl-pro.xsd
    document = read_lsl_xml(path)
    assert document == written

    # The service's export writes the same file (but for the time it was made).
    exported = tmp_path / "export.xml"
    report = service.export(klass.id, exported, learner_id=learner_id)
    assert (report.learners, report.incomplete) == (1, 1 if written.learners[0].missing else 0)
    assert replace(read_lsl_xml(exported), created_at=written.created_at) == written

    (learner,) = document.learners
    assert (document.uai, document.school_year) == ("0750654D", klass.school_year_label)
    assert (learner.ine, learner.grade, learner.class_code) == (
        synthesis.learner.ine,
        "Tle",
        klass.code,
    )
    assert learner.appreciation == APPRECIATION
    assert learner.competencies[1].degree == "3"
    assert [c.degree for c in learner.competencies] == [
        c.chosen.value if c.chosen else None for c in synthesis.competencies
    ]
    assert learner.pfmps[0].tutor == "Mme Le Gall"
    assert [p.mean for p in learner.periods] == [m.mean for m in synthesis.means]
    assert list(learner.missing) == list(synthesis.missing)
    # The file names the national application's concepts.
    raw = path.read_text(encoding="utf-8")
    for element in (
        "<ine>",
        "<uai>",
        "<anneeScolaire>",
        "<classe>",
        '<degreMaitrise code="3">Maîtrisé</degreMaitrise>',
        "<moyennesPeriodiques",
        "<pfmp>",
        "<appreciation>",
    ):
        assert element in raw


def test_the_whole_class_validates(
    demo_database: Database, tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    service, _, _ = prepare(demo_database)
    means = []
    for other in service.classes():
        written = service.document(other.id)
        path = tmp_path / f"{other.code}-{other.school_year_label}.xml"
        write_lsl_xml(path, written)
        schema.validate(str(path))
        assert read_lsl_xml(path) == written
        assert len(written.learners) > 0
        means += [p.mean for learner in written.learners for p in learner.periods]
    # The 1re of 2025-2026 has marked final bilans: its means went through the file too.
    assert any(mean is not None for mean in means)


def broken(data: bytes, change: str) -> bytes:
    root = ET.fromstring(data)
    learner = root.find("eleves/eleve")
    assert learner is not None
    if change == "no INE":
        ine = learner.find("ine")
        assert ine is not None
        learner.remove(ine)
    elif change == "degree 5":
        degree = learner.find("competences/competence/degreMaitrise")
        assert degree is not None
        degree.set("code", "5")
    elif change == "mean 21":
        period = learner.find("moyennesPeriodiques/periode")
        assert period is not None
        ET.SubElement(period, "moyenne").text = "21"
    elif change == "bad INE":
        ine = learner.find("ine")
        assert ine is not None
        ine.text = "12345"
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@pytest.mark.parametrize("change", ["no INE", "degree 5", "mean 21", "bad INE"])
def test_the_schema_refuses_a_broken_file(
    demo_database: Database, tmp_path: Path, schema: xmlschema.XMLSchema, change: str
) -> None:
    service, klass, learner_id = prepare(demo_database)
    good = lsl_xml_bytes(service.document(klass.id, learner_id))
    assert schema.is_valid(good.decode("utf-8"))
    bad = broken(good, change)
    assert not schema.is_valid(bad.decode("utf-8"))
    # Livret's own reader refuses it too, in French.
    with pytest.raises(ValidationError, match="Fichier LSL Pro"):
        parse_lsl_xml(bad)


def test_the_reader_refuses_entities_and_other_files() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lslPro [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><lslPro version="1">&b;</lslPro>'
    )
    with pytest.raises(ValidationError, match="DOCTYPE ou des entités"):
        parse_lsl_xml(bomb)
    with pytest.raises(ValidationError, match="XML mal formé"):
        parse_lsl_xml(b"<lslPro version='1'>")
    with pytest.raises(ValidationError, match="la racine doit être"):
        parse_lsl_xml(b"<BEE_ELEVES/>")


def test_degrees_labels_agree_between_the_domain_and_the_file() -> None:
    from livret.exchange.lsl_xml import DEGREE_LABELS as FILE_LABELS

    assert {d.value: label for d, label in DEGREE_LABELS.items()} == FILE_LABELS


def test_csv_and_xlsx_read_back(demo_database: Database, tmp_path: Path) -> None:
    service, klass, learner_id = prepare(demo_database)
    synthesis = service.synthesis(klass.id, learner_id)
    ine = synthesis.learner.ine
    # A formula-like appréciation is written as text, never as a formula.
    service.save_appreciation(klass.id, learner_id, "=1+1 appréciation", based_on=APPRECIATION)

    csv_path = tmp_path / "lsl.csv"
    service.export(klass.id, csv_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.reader(stream, delimiter=";"))
    header, body = table[0], table[1:]
    assert header[:6] == ["INE", "nom", "prénom", "classe", "niveau", "année scolaire"]
    assert header[6:16] == [f"CP{n:02d}" for n in range(1, 11)]
    assert header[16:19] == [
        "moyenne 1er trimestre",
        "moyenne 2e trimestre",
        "moyenne 3e trimestre",
    ]
    assert header[19:] == ["PFMP", "appréciation", "champs manquants"]
    row = next(r for r in body if r[0] == ine)
    assert row[3:6] == [klass.code, "Tle", klass.school_year_label]
    assert row[7] == "Maîtrisé"
    assert row[20] == "'=1+1 appréciation"
    assert "Mme Le Gall" in row[19]
    assert len(body) == len(service.class_synthesis(klass.id).learners)

    xlsx_path = tmp_path / "lsl.xlsx"
    service.export(klass.id, xlsx_path)
    workbook = load_workbook(xlsx_path)
    sheet = workbook["LSL Pro"]
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert values[0] == header
    found = next(r for r in values[1:] if r[0] == ine)
    assert found[7] == "Maîtrisé"
    assert found[20] == "=1+1 appréciation"
    assert sheet.cell(row=values.index(found) + 1, column=21).data_type == "s"

    with pytest.raises(ValidationError, match=r"choisir un fichier \.xml, \.csv ou \.xlsx"):
        service.export(klass.id, tmp_path / "lsl.pdf")
