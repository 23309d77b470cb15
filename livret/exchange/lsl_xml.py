"""The LSL Pro synthesis as an XML file (docs/lsl-pro.xsd, docs/lsl-pro.md): write and read.

The element names name the national application's concepts (élève and INE,
établissement and UAI, année scolaire, classe, compétences and degré de maîtrise,
moyennes périodiques, PFMP, appréciation). The exact import format of the national
application (LSL Pro) could not be checked here: this is Livret's own documented file,
meant to be transformed for it, not a copy of its format.

Written with the standard library's ElementTree (UTF-8, indented); read back with
defusedxml (no DTD, no entity, no external reference; size-capped), every problem a
French ValidationError. Nothing here knows about the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml  # type: ignore[import-untyped]

from livret.domain.errors import ValidationError
from livret.exchange.marks_export import _write_atomically

FORMAT_VERSION = "1"
ROOT = "lslPro"
MAX_FILE_BYTES = 20 * 1024 * 1024
"""A class of 35 learners writes about 100 KB; anything far bigger is not ours."""

DEGREE_LABELS: dict[str, str] = {
    "1": "Non maîtrisé",
    "2": "Insuffisamment maîtrisé",
    "3": "Maîtrisé",
    "4": "Bien maîtrisé",
}
"""The LSL Pro degrees by code (the same as livret.domain.lsl.DEGREE_LABELS)."""

_REFUSED_XML = (
    safe_xml.DTDForbidden,
    safe_xml.EntitiesForbidden,
    safe_xml.ExternalReferenceForbidden,
)
_INE = re.compile(r"[0-9]{9}[0-9A-Z][A-Z]")


@dataclass(frozen=True, slots=True)
class CompetencyRecord:
    """One competency of the specialty: the chosen degree and Livret's proposal (codes 1–4)."""

    code: str
    title: str
    degree: str | None
    proposed: str | None


@dataclass(frozen=True, slots=True)
class PeriodRecord:
    """One trimester or semester; `mean` is None when no marked final bilan is in it."""

    number: int
    start: dt.date
    end: dt.date
    mean: Decimal | None
    bilan_count: int


@dataclass(frozen=True, slots=True)
class PfmpRecord:
    company: str | None
    tutor: str | None
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class LearnerRecord:
    """One learner's LSL Pro synthesis for the document's school year."""

    ine: str
    family_name: str
    first_name: str
    birth_date: dt.date | None
    class_code: str
    class_label: str
    grade: str
    specialty_code: str | None
    specialty_title: str | None
    competencies: tuple[CompetencyRecord, ...]
    periodicity: str
    periods: tuple[PeriodRecord, ...]
    pfmps: tuple[PfmpRecord, ...]
    appreciation: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LslDocument:
    """What one file holds: an establishment, a school year, its learners' syntheses."""

    establishment_name: str
    uai: str | None
    school_year: str
    created_at: dt.datetime
    learners: tuple[LearnerRecord, ...]


# -- writing -------------------------------------------------------------------------


def lsl_xml_bytes(document: LslDocument) -> bytes:
    """The document as UTF-8 XML (see docs/lsl-pro.md for each element)."""
    root = Element(ROOT, {"version": FORMAT_VERSION, "genereLe": _datetime(document.created_at)})
    establishment = _child(root, "etablissement")
    if document.uai is not None:
        _child(establishment, "uai", document.uai)
    _child(establishment, "nom", document.establishment_name)
    _child(root, "anneeScolaire", document.school_year)
    learners = _child(root, "eleves")
    for learner in document.learners:
        _write_learner(_child(learners, "eleve"), learner)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_lsl_xml(path: Path, document: LslDocument) -> None:
    """Write the file in one step (a reader never sees half of it)."""
    data = lsl_xml_bytes(document)

    def write(temporary: Path) -> None:
        temporary.write_bytes(data)

    _write_atomically(Path(path), write)


def _write_learner(element: Element, learner: LearnerRecord) -> None:
    _child(element, "ine", learner.ine)
    _child(element, "nom", learner.family_name)
    _child(element, "prenom", learner.first_name)
    if learner.birth_date is not None:
        _child(element, "dateNaissance", learner.birth_date.isoformat())
    classe = _child(element, "classe")
    _child(classe, "code", learner.class_code)
    _child(classe, "libelle", learner.class_label)
    _child(classe, "niveau", learner.grade)
    if learner.specialty_code is not None:
        specialty = _child(element, "specialite")
        _child(specialty, "code", learner.specialty_code)
        _child(specialty, "intitule", learner.specialty_title or "")
    competencies = _child(element, "competences")
    for competency in learner.competencies:
        item = _child(competencies, "competence", code=competency.code)
        _child(item, "intitule", competency.title)
        if competency.degree is not None:
            _degree(item, "degreMaitrise", competency.degree)
        if competency.proposed is not None:
            _degree(item, "degrePropose", competency.proposed)
    means = _child(element, "moyennesPeriodiques", periodicite=learner.periodicity)
    for period in learner.periods:
        item = _child(
            means,
            "periode",
            numero=str(period.number),
            debut=period.start.isoformat(),
            fin=period.end.isoformat(),
            nombreBilans=str(period.bilan_count),
        )
        if period.mean is not None:
            _child(item, "moyenne", format(period.mean, "f"))
    pfmps = _child(element, "pfmps")
    for pfmp in learner.pfmps:
        item = _child(pfmps, "pfmp")
        for name, value in (
            ("entreprise", pfmp.company),
            ("tuteur", pfmp.tutor),
            ("dateDebut", pfmp.start.isoformat() if pfmp.start else None),
            ("dateFin", pfmp.end.isoformat() if pfmp.end else None),
        ):
            if value is not None:
                _child(item, name, value)
    _child(element, "appreciation", learner.appreciation)
    missing = _child(element, "champsManquants")
    for text in learner.missing:
        _child(missing, "champ", text)


def _degree(parent: Element, name: str, code: str) -> None:
    if code not in DEGREE_LABELS:
        raise ValidationError(f"Degré de maîtrise hors échelle : « {code} ».")
    _child(parent, name, DEGREE_LABELS[code], code=code)


def _child(parent: Element, name: str, text: str | None = None, **attributes: str) -> Element:
    element = ET.SubElement(parent, name, attributes)
    if text is not None:
        element.text = text
    return element


def _datetime(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat()


# -- reading -------------------------------------------------------------------------


def read_lsl_xml(path: Path) -> LslDocument:
    """Read a file written by `write_lsl_xml` (defusedxml; French errors)."""
    try:
        with Path(path).open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValidationError(f"Impossible de lire « {path} » : {exc.strerror or exc}.") from None
    return parse_lsl_xml(data)


def parse_lsl_xml(data: bytes) -> LslDocument:
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError("Fichier LSL Pro refusé : trop volumineux.")
    try:
        root = safe_xml.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except _REFUSED_XML:
        raise ValidationError(
            "Fichier LSL Pro refusé : il contient une déclaration DOCTYPE ou des entités XML, "
            "interdites par sécurité."
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ValidationError(
            f"Fichier LSL Pro illisible : XML mal formé ligne {line}, colonne {column + 1}."
        ) from None
    if root.tag != ROOT:
        raise ValidationError(f"Fichier LSL Pro illisible : la racine doit être « {ROOT} ».")
    if root.get("version") != FORMAT_VERSION:
        raise ValidationError(
            f"Fichier LSL Pro d'une version inconnue : « {root.get('version')} »."
        )
    reader = _Reader()
    establishment = reader.one(root, "etablissement")
    document = LslDocument(
        establishment_name=reader.text(establishment, "nom"),
        uai=reader.optional(establishment, "uai"),
        school_year=reader.text(root, "anneeScolaire"),
        created_at=reader.datetime(root.get("genereLe"), "genereLe"),
        learners=tuple(
            _read_learner(reader, element)
            for element in reader.one(root, "eleves").findall("eleve")
        ),
    )
    return document


def _read_learner(reader: _Reader, element: Element) -> LearnerRecord:
    ine = reader.text(element, "ine")
    if not _INE.fullmatch(ine):
        raise ValidationError(f"Fichier LSL Pro : INE invalide « {ine} ».")
    classe = reader.one(element, "classe")
    specialty = element.find("specialite")
    means = reader.one(element, "moyennesPeriodiques")
    birth = reader.optional(element, "dateNaissance")
    return LearnerRecord(
        ine=ine,
        family_name=reader.text(element, "nom"),
        first_name=reader.text(element, "prenom"),
        birth_date=reader.date(birth, "dateNaissance") if birth is not None else None,
        class_code=reader.text(classe, "code"),
        class_label=reader.text(classe, "libelle"),
        grade=reader.text(classe, "niveau"),
        specialty_code=reader.text(specialty, "code") if specialty is not None else None,
        specialty_title=reader.text(specialty, "intitule") if specialty is not None else None,
        competencies=tuple(
            CompetencyRecord(
                code=reader.attribute(item, "code"),
                title=reader.text(item, "intitule"),
                degree=reader.degree(item.find("degreMaitrise")),
                proposed=reader.degree(item.find("degrePropose")),
            )
            for item in reader.one(element, "competences").findall("competence")
        ),
        periodicity=reader.attribute(means, "periodicite"),
        periods=tuple(
            PeriodRecord(
                number=reader.integer(reader.attribute(item, "numero"), "numero"),
                start=reader.date(reader.attribute(item, "debut"), "debut"),
                end=reader.date(reader.attribute(item, "fin"), "fin"),
                mean=reader.decimal(reader.optional(item, "moyenne")),
                bilan_count=reader.integer(reader.attribute(item, "nombreBilans"), "nombreBilans"),
            )
            for item in means.findall("periode")
        ),
        pfmps=tuple(
            PfmpRecord(
                company=reader.optional(item, "entreprise"),
                tutor=reader.optional(item, "tuteur"),
                start=reader.optional_date(item, "dateDebut"),
                end=reader.optional_date(item, "dateFin"),
            )
            for item in reader.one(element, "pfmps").findall("pfmp")
        ),
        appreciation=reader.text(element, "appreciation", allow_empty=True),
        missing=tuple(
            item.text or "" for item in reader.one(element, "champsManquants").findall("champ")
        ),
    )


class _Reader:
    """Reads the values of a parsed file, each problem a French ValidationError."""

    def one(self, parent: Element, name: str) -> Element:
        found = parent.find(name)
        if found is None:
            raise ValidationError(
                f"Fichier LSL Pro incomplet : élément « {name} » manquant dans « {parent.tag} »."
            )
        return found

    def text(self, parent: Element, name: str, *, allow_empty: bool = False) -> str:
        value = self.one(parent, name).text or ""
        if not value and not allow_empty:
            raise ValidationError(f"Fichier LSL Pro incomplet : « {name} » est vide.")
        return value

    def optional(self, parent: Element, name: str) -> str | None:
        found = parent.find(name)
        return None if found is None else found.text or ""

    def attribute(self, element: Element, name: str) -> str:
        value = element.get(name)
        if value is None:
            raise ValidationError(
                f"Fichier LSL Pro incomplet : attribut « {name} » manquant sur « {element.tag} »."
            )
        return value

    def degree(self, element: Element | None) -> str | None:
        if element is None:
            return None
        code = self.attribute(element, "code")
        if DEGREE_LABELS.get(code) != (element.text or ""):
            raise ValidationError(
                f"Fichier LSL Pro : degré de maîtrise invalide « {code} » "
                f"(« {element.text or ''} »)."
            )
        return code

    def date(self, text: str | None, what: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text or "")
        except ValueError:
            raise ValidationError(
                f"Fichier LSL Pro : date invalide pour {what} : « {text} »."
            ) from None

    def optional_date(self, parent: Element, name: str) -> dt.date | None:
        text = self.optional(parent, name)
        return None if text is None else self.date(text, name)

    def datetime(self, text: str | None, what: str) -> dt.datetime:
        try:
            return dt.datetime.fromisoformat(text or "")
        except ValueError:
            raise ValidationError(
                f"Fichier LSL Pro : date invalide pour {what} : « {text} »."
            ) from None

    def integer(self, text: str, what: str) -> int:
        if not text.isdigit():
            raise ValidationError(f"Fichier LSL Pro : nombre invalide pour {what} : « {text} ».")
        return int(text)

    def decimal(self, text: str | None) -> Decimal | None:
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not 0 <= value <= 20:
            raise ValidationError(f"Fichier LSL Pro : moyenne invalide « {text} ».")
        return value
