"""Read the SIECLE student export (`ElevesSansAdresses.xml`, or the .zip it comes in).

Pure parsing into frozen dataclasses: nothing here knows about the database.

The file: XML declared in ISO-8859-15 (UTF-8 files are accepted too; the declared
encoding is honoured), root `BEE_ELEVES`; `PARAMETRES/ANNEE_SCOLAIRE` (2025 for
2025-2026) and `UAJ`; learners in `DONNEES/ELEVES/ELEVE` (attribute `ELEVE_ID`) with
`ID_NATIONAL` (the INE), `NOM_DE_FAMILLE` (older files: `NOM`), `PRENOM`,
`DATE_NAISS` and the optional `DATE_SORTIE` (JJ/MM/AAAA); classes in
`DONNEES/STRUCTURES/STRUCTURES_ELEVE` (attribute `ELEVE_ID`) `/STRUCTURE` with
`CODE_STRUCTURE` and `TYPE_STRUCTURE`: `D` is the division (the class), `G` a group
(ignored). Any other element is ignored.

Safety: the XML is parsed with defusedxml and any DTD is refused (so entity bombs
and external entities never get expanded or fetched); files and zip members over
50 Mo, zips whose compression ratio is implausible for XML (zip bombs) and
encrypted zips are refused. Every refusal is a `ValidationError` in French.

Real files are messy: whitespace is normalised, a learner without an INE or with an
invalid one is skipped with a reason, an INE twice in the file is reported (the
record without a leaving date is kept when there is exactly one, else all are
skipped), a learner without a division is kept (no class) and reported, a bad date is
reported and left empty. INEs are upper-cased.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml  # type: ignore[import-untyped]

from livret.domain.errors import ValidationError
from livret.exchange.text_encoding import utf8_problem

ROOT_TAG = "BEE_ELEVES"
MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest file (or zip member, uncompressed) accepted: 50 Mo, far above any school's export."""
MAX_ZIP_RATIO = 100
"""Largest uncompressed/compressed ratio of a zip member over 1 Mo (XML compresses ~10×)."""
_RATIO_FLOOR = 1024 * 1024
MAX_TAGS = 2_000_000
"""Most « < » in a file: about 150 per learner, so some 13 000 learners."""
MAX_ATTRIBUTES = 500_000
"""Most « = » in a file (an export has a few attributes per learner)."""
MAX_ID_LENGTH = 40
"""ELEVE_ID and UAJ are short codes; longer ones are cut in messages and reports."""
MAX_NAME_LENGTH = 100
"""The livret stores family and first names in 100 characters."""
MAX_CODE_LENGTH = 40
"""The livret stores class codes in 40 characters."""

INE_PATTERN = re.compile(r"[0-9]{9}[0-9A-Z][A-Z]")
"""INE (identifiant national élève): 10 digits and a letter, or 9 digits and 2 letters."""

_DECLARED_ENCODING = re.compile(
    rb"""\A<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']"""
)
_SINGLE_BYTE_LATIN = {"iso88591", "iso885915", "latin1", "latin9", "cp1252", "windows1252"}
_DATE_FR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MEGA = 1024 * 1024
SKIPPED_SUFFIX = ", élève ignoré."
"""How the problem describing a skipped learner ends (the reports list those apart)."""
_REFUSED_XML = (
    safe_xml.DTDForbidden,
    safe_xml.EntitiesForbidden,
    safe_xml.ExternalReferenceForbidden,
)
"""defusedxml's refusals (all DefusedXmlException)."""


@dataclass(frozen=True, slots=True)
class SiecleLearner:
    """One learner of the file, cleaned: INE upper-case, names with single spaces."""

    eleve_id: str
    ine: str
    family_name: str
    first_name: str
    birth_date: dt.date | None
    left_on: dt.date | None
    """DATE_SORTIE: the learner has left the establishment on that day."""
    division: str | None
    """The class code (STRUCTURE of type D), None when the file gives none."""

    @property
    def display_name(self) -> str:
        return _name(self.family_name, self.first_name)


@dataclass(frozen=True, slots=True)
class SiecleSkipped:
    """A learner of the file that cannot be imported, and why (French)."""

    eleve_id: str
    family_name: str
    first_name: str
    reason: str
    ine: str = ""
    """The INE as read (upper-cased; may be invalid), "" when the file gives none."""

    @property
    def display_name(self) -> str:
        return _name(self.family_name, self.first_name) or "(sans nom)"


@dataclass(frozen=True, slots=True)
class SiecleFile:
    """What a SIECLE export holds, ready to be previewed and imported."""

    school_year_start: int | None
    """ANNEE_SCOLAIRE: 2025 for the school year 2025-2026; None when absent or unreadable."""
    uaj: str | None
    """The establishment's UAJ (UAI) code, as given."""
    learners: tuple[SiecleLearner, ...]
    """The importable learners, in file order, one per INE."""
    problems: tuple[str, ...] = ()
    """Every remark on the file, in French, naming the ELEVE_ID and the learner."""
    skipped: tuple[SiecleSkipped, ...] = ()
    """The learners left out (also described in problems)."""

    @property
    def school_year_label(self) -> str | None:
        """ "2025-2026" for ANNEE_SCOLAIRE 2025."""
        if self.school_year_start is None:
            return None
        return f"{self.school_year_start}-{self.school_year_start + 1}"

    @property
    def divisions(self) -> tuple[str, ...]:
        """The class codes used by the learners, sorted."""
        return tuple(sorted({lr.division for lr in self.learners if lr.division is not None}))


# -- reading files ---------------------------------------------------------------------


def read_siecle(path: Path) -> SiecleFile:
    """Read an `ElevesSansAdresses.xml`, or the .zip holding it (recognised by its content)."""
    path = Path(path)
    try:
        if not path.is_file():
            if path.exists():
                raise ValidationError(f"« {path} » n'est pas un fichier.")
            raise ValidationError(f"Fichier introuvable : « {path} ».")
        check_size(path.stat().st_size, path.name)
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ValidationError(f"Impossible de lire « {path} » : {reason}.") from None
    return parse_siecle_bytes(data, path.name)


def parse_siecle_bytes(data: bytes, name: str) -> SiecleFile:
    """Parse the bytes of an export or of the .zip holding it (recognised by its content).

    `name` (the file's name) only appears in the French refusals.
    """
    check_size(len(data), name)
    if _is_zip(data):
        data = _zip_member(data, name)
    return parse_siecle(data)


def check_size(size: int, name: str) -> None:
    """Refuse a file of more than MAX_FILE_BYTES (before reading it, when the size is known)."""
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"Fichier SIECLE refusé : « {name} » fait {_megabytes(size)}, "
            f"au-delà de la limite de {_megabytes(MAX_FILE_BYTES)}."
        )


def _is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _zip_member(data: bytes, archive_name: str) -> bytes:
    """The bytes of the one XML file of a zip, refusing zip bombs and encrypted archives."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ValidationError(
            f"Archive « {archive_name} » illisible : ce n'est pas un fichier zip valide."
        ) from None
    with archive:
        info = _choose_member(archive.infolist(), archive_name)
        if info.flag_bits & 0x1:
            raise ValidationError(
                f"Archive « {archive_name} » refusée : « {info.filename} » est chiffré "
                "(protégé par un mot de passe)."
            )
        if info.file_size > MAX_FILE_BYTES:
            raise ValidationError(
                f"Archive « {archive_name} » refusée : « {info.filename} » ferait "
                f"{_megabytes(info.file_size)} une fois décompressé, au-delà de la limite "
                f"de {_megabytes(MAX_FILE_BYTES)}."
            )
        if info.file_size > _RATIO_FLOOR and (
            info.compress_size <= 0 or info.file_size / info.compress_size > MAX_ZIP_RATIO
        ):
            raise ValidationError(
                f"Archive « {archive_name} » refusée : taux de compression anormal pour "
                f"« {info.filename} » (archive piégée ?)."
            )
        try:
            with archive.open(info) as member:
                # The sizes in the archive may lie: never read past the limit.
                content = member.read(MAX_FILE_BYTES + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,
            NotImplementedError,
            RuntimeError,
            ValueError,
            OSError,
        ):
            raise ValidationError(
                f"Archive « {archive_name} » illisible : « {info.filename} » est endommagé "
                "ou compressé d'une façon non prise en charge."
            ) from None
        except EOFError:
            raise ValidationError(
                f"Archive « {archive_name} » illisible : « {info.filename} » est tronqué."
            ) from None
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(
            f"Archive « {archive_name} » refusée : « {info.filename} » dépasse "
            f"{_megabytes(MAX_FILE_BYTES)} une fois décompressé."
        )
    return content


def _choose_member(members: Iterable[zipfile.ZipInfo], archive_name: str) -> zipfile.ZipInfo:
    """The XML file of the archive: the only one, or the one named ElevesSansAdresses.xml."""
    candidates = []
    for info in members:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        if parts[-1].casefold().endswith(".xml"):
            candidates.append(info)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ValidationError(f"Archive « {archive_name} » : elle ne contient aucun fichier XML.")
    named = [
        info
        for info in candidates
        if PurePosixPath(info.filename.replace("\\", "/")).name.casefold()
        == "elevessansadresses.xml"
    ]
    if len(named) == 1:
        return named[0]
    names = ", ".join(f"« {info.filename} »" for info in candidates[:5])
    raise ValidationError(
        f"Archive « {archive_name} » : plusieurs fichiers XML ({names}) ; "
        "extrayez ElevesSansAdresses.xml et importez-le directement."
    )


# -- parsing ---------------------------------------------------------------------------


def parse_siecle(data: bytes) -> SiecleFile:
    """Parse the bytes of a SIECLE student export; refusals are French ValidationErrors."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            f"Fichier SIECLE refusé : {_megabytes(len(data))}, au-delà de la limite "
            f"de {_megabytes(MAX_FILE_BYTES)}."
        )
    if not data.strip():
        raise ValidationError("Fichier SIECLE vide.")
    # ElementTree builds the whole tree: bound what it builds, not only the bytes
    # (50 Mo of « <a/> » would be 12 million elements, over 1 Go and 30 s).
    for mark, limit, what in ((b"<", MAX_TAGS, "balises"), (b"=", MAX_ATTRIBUTES, "attributs")):
        if (count := data.count(mark)) > limit:
            raise ValidationError(
                f"Fichier SIECLE refusé : plus de {_thousands(limit)} {what} XML "
                f"({_thousands(count)}), bien plus qu'un export d'établissement."
            )
    problems: list[str] = []
    source = _source(data, problems)
    root = _parse_xml(source)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.rpartition("}")[2]  # a namespace would change nothing
    if root.tag != ROOT_TAG:
        raise ValidationError(
            "Ce fichier n'est pas l'export SIECLE des élèves (ElevesSansAdresses.xml) : "
            f"élément racine « {_shorten(str(root.tag))} », attendu « {ROOT_TAG} »."
        )
    school_year_start = _school_year(root, problems)
    uaj = _clean(root.find("PARAMETRES/UAJ"))
    if uaj is not None and len(uaj) > MAX_ID_LENGTH:
        problems.append(f"UAJ illisible dans le fichier : « {_shorten(uaj)} », ignorée.")
        uaj = None
    eleves = root.findall("DONNEES/ELEVES/ELEVE")
    if not eleves:
        raise ValidationError(
            "Le fichier SIECLE ne contient aucun élève (DONNEES/ELEVES/ELEVE absent)."
        )
    divisions = _divisions(root)
    learners: list[SiecleLearner] = []
    skipped: list[SiecleSkipped] = []
    for position, element in enumerate(eleves, start=1):
        _read_learner(element, position, divisions, learners, skipped, problems)
    learners = _drop_duplicates(learners, skipped, problems)
    return SiecleFile(
        school_year_start=school_year_start,
        uaj=uaj,
        learners=tuple(learners),
        problems=tuple(problems),
        skipped=tuple(skipped),
    )


def _source(data: bytes, problems: list[str]) -> bytes | str:
    """What to give expat: the bytes, unless they declare no encoding and are not UTF-8."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return data  # a byte-order mark: expat reads UTF-8 and UTF-16 by themselves
    declared = _DECLARED_ENCODING.match(data.lstrip()[:300])
    if declared is None:
        bad = utf8_problem(data)
        if bad is not None and bad.damaged_utf8:
            raise ValidationError(
                f"Fichier SIECLE illisible : il est en UTF-8 mais contient un octet invalide "
                f"({bad.byte_text}) ligne {bad.line} ; réexportez-le depuis SIECLE."
            )
        if bad is not None:
            problems.append(
                "Le fichier ne déclare pas son encodage et n'est pas en UTF-8 : "
                "il a été lu en ISO-8859-15 (l'encodage des exports SIECLE)."
            )
            return data.decode("iso-8859-15")
        return data
    name = re.sub(r"[^a-z0-9]", "", declared.group(1).decode("ascii").lower())
    if name in _SINGLE_BYTE_LATIN and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            problems.append(
                f"Le fichier déclare l'encodage {declared.group(1).decode('ascii')} mais "
                "semble être en UTF-8 : vérifiez les accents des noms avant d'importer."
            )
    return data


def _parse_xml(source: bytes | str) -> Element:
    try:
        root = safe_xml.fromstring(
            source, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except _REFUSED_XML:
        raise ValidationError(
            "Fichier SIECLE refusé : il contient des entités XML ou une déclaration DOCTYPE, "
            "interdites par sécurité (un export SIECLE n'en contient jamais)."
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ValidationError(
            f"Fichier SIECLE illisible : XML mal formé ligne {line}, colonne {column + 1} "
            f"({_expat_reason(exc)})."
        ) from None
    except LookupError as exc:
        raise ValidationError(
            f"Fichier SIECLE illisible : encodage inconnu ({_shorten(str(exc))})."
        ) from None
    except (ValueError, UnicodeError) as exc:
        raise ValidationError(
            f"Fichier SIECLE illisible : {_shorten(str(exc)) or 'contenu non XML'}."
        ) from None
    if not isinstance(root, Element):  # defensive: defusedxml returns ElementTree elements
        raise ValidationError("Fichier SIECLE illisible : contenu non XML.")
    return root


_EXPAT_REASONS = {
    "not well-formed (invalid token)": "caractère ou balise invalide",
    "mismatched tag": "balise fermante qui ne correspond pas",
    "no element found": "fichier incomplet",
    "unclosed token": "balise non terminée",
    "junk after document element": "contenu après la fin du document",
    "syntax error": "erreur de syntaxe",
    "undefined entity": "entité inconnue",
    "duplicate attribute": "attribut en double",
    "unbound prefix": "préfixe d'espace de noms inconnu",
    "reference to invalid character number": "caractère interdit",
    "XML or text declaration not at start of entity": "déclaration XML mal placée",
    "encoding specified in XML declaration is incorrect": "encodage déclaré incorrect",
    "unknown encoding": "encodage inconnu",
}


def _expat_reason(exc: ParseError) -> str:
    text = str(exc).split(":", 1)[0].strip()
    return _EXPAT_REASONS.get(text, text or "erreur de syntaxe")


def _school_year(root: Element, problems: list[str]) -> int | None:
    text = _clean(root.find("PARAMETRES/ANNEE_SCOLAIRE"))
    if text is None:
        problems.append("Année scolaire absente du fichier (PARAMETRES/ANNEE_SCOLAIRE).")
        return None
    match = re.fullmatch(r"(\d{4})(?:\s*[-/]\s*(\d{4}))?", text)
    if match is not None:
        start = int(match.group(1))
        end = match.group(2)
        if 1990 <= start <= 2200 and (end is None or int(end) == start + 1):
            return start
    problems.append(f"Année scolaire illisible dans le fichier : « {_shorten(text)} ».")
    return None


def _divisions(root: Element) -> dict[str, list[str]]:
    """ELEVE_ID → the codes of its D structures, in file order (groups G are ignored)."""
    divisions: dict[str, list[str]] = {}
    for owner in root.iterfind("DONNEES/STRUCTURES/STRUCTURES_ELEVE"):
        eleve_id = _shorten(_spaces(owner.get("ELEVE_ID", "")), MAX_ID_LENGTH)
        for structure in owner.iterfind("STRUCTURE"):
            kind = (_clean(structure.find("TYPE_STRUCTURE")) or "").upper()
            code = _clean(structure.find("CODE_STRUCTURE"))
            if kind == "D" and code is not None:
                codes = divisions.setdefault(eleve_id, [])
                if code not in codes:
                    codes.append(code)
    return divisions


def _read_learner(
    element: Element,
    position: int,
    divisions: dict[str, list[str]],
    learners: list[SiecleLearner],
    skipped: list[SiecleSkipped],
    problems: list[str],
) -> None:
    eleve_id = _shorten(_spaces(element.get("ELEVE_ID", "")), MAX_ID_LENGTH)
    family_name = _clean(element.find("NOM_DE_FAMILLE")) or _clean(element.find("NOM")) or ""
    first_name = _clean(element.find("PRENOM")) or ""
    # Names over the limit are skipped below; the report shows them cut.
    shown_family, shown_first = _shorten(family_name), _shorten(first_name)
    who = _who(eleve_id, position, shown_family, shown_first)

    def skip(reason: str) -> None:
        skipped.append(SiecleSkipped(eleve_id, shown_family, shown_first, reason, _shorten(ine)))
        problems.append(f"{who} : {reason}{SKIPPED_SUFFIX}")

    raw_ine = _clean(element.find("ID_NATIONAL"))
    ine = re.sub(r"\s", "", raw_ine or "").upper()
    if not ine:
        skip("INE absent")
        return
    if not INE_PATTERN.fullmatch(ine):
        skip(
            f"INE « {_shorten(raw_ine or '')} » invalide "
            "(attendu : 10 chiffres et 1 lettre, ou 9 chiffres et 2 lettres)"
        )
        return
    if not family_name:
        skip("nom de famille absent")
        return
    if len(family_name) > MAX_NAME_LENGTH or len(first_name) > MAX_NAME_LENGTH:
        skip(f"nom ou prénom de plus de {MAX_NAME_LENGTH} caractères")
        return
    if not first_name:
        problems.append(f"{who} : prénom absent.")
    birth_date = _date(element, "DATE_NAISS", "date de naissance", who, problems)
    left_on = _date(element, "DATE_SORTIE", "date de sortie", who, problems)
    codes = divisions.get(eleve_id, []) if eleve_id else []
    division: str | None = None
    if codes:
        division = codes[0]
        if len(codes) > 1:
            problems.append(
                f"{who} : plusieurs divisions ({', '.join(codes)}), {division} est retenue."
            )
        if len(division) > MAX_CODE_LENGTH:
            problems.append(
                f"{who} : code de division de plus de {MAX_CODE_LENGTH} caractères, ignoré."
            )
            division = None
    else:
        problems.append(f"{who} : aucune division (classe) dans le fichier, importé sans classe.")
    learners.append(
        SiecleLearner(eleve_id, ine, family_name, first_name, birth_date, left_on, division)
    )


def _drop_duplicates(
    learners: list[SiecleLearner], skipped: list[SiecleSkipped], problems: list[str]
) -> list[SiecleLearner]:
    """One record per INE: the one still present (no DATE_SORTIE) when it is the only one."""
    by_ine: dict[str, list[SiecleLearner]] = {}
    for learner in learners:
        by_ine.setdefault(learner.ine, []).append(learner)
    dropped: set[int] = set()
    for ine, records in by_ine.items():
        if len(records) < 2:
            continue
        ids = ", ".join(record.eleve_id or "?" for record in records)
        present = [record for record in records if record.left_on is None]
        if len(present) == 1:
            kept = present[0]
            problems.append(
                f"INE {ine} présent {len(records)} fois (élèves {ids}) : seule la fiche sans "
                f"date de sortie (élève {kept.eleve_id or '?'}, {kept.display_name}) est retenue."
            )
            dropped.update(id(record) for record in records if record is not kept)
            continue
        problems.append(
            f"INE {ine} présent {len(records)} fois (élèves {ids}) : "
            "ces élèves sont ignorés, corrigez la base SIECLE."
        )
        for record in records:
            skipped.append(
                SiecleSkipped(
                    record.eleve_id,
                    record.family_name,
                    record.first_name,
                    f"INE {ine} en double dans le fichier",
                    ine,
                )
            )
            dropped.add(id(record))
    return [learner for learner in learners if id(learner) not in dropped]


def _date(element: Element, tag: str, what: str, who: str, problems: list[str]) -> dt.date | None:
    text = _clean(element.find(tag))
    if text is None:
        return None
    parsed = parse_date(text)
    if parsed is None:
        problems.append(f"{who} : {what} « {_shorten(text)} » illisible, ignorée.")
    return parsed


def parse_date(text: str) -> dt.date | None:
    """JJ/MM/AAAA (SIECLE) or AAAA-MM-JJ; None when it is not a real date."""
    text = text.strip()
    french = _DATE_FR.fullmatch(text)
    try:
        if french is not None:
            return dt.date(int(french.group(3)), int(french.group(2)), int(french.group(1)))
        iso = _DATE_ISO.fullmatch(text)
        if iso is not None:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    except ValueError:
        return None
    return None


# -- small helpers ---------------------------------------------------------------------


def _clean(element: Element | None) -> str | None:
    """The element's text with single spaces; None when absent or blank."""
    if element is None:
        return None
    text = _spaces("".join(element.itertext()))
    return text or None


def _spaces(text: str) -> str:
    return " ".join(text.split())


def _name(family_name: str, first_name: str) -> str:
    return f"{family_name.upper()} {first_name}".strip()


def _who(eleve_id: str, position: int, family_name: str, first_name: str) -> str:
    name = _name(family_name, first_name)
    label = f"Élève {eleve_id}" if eleve_id else f"Élève n° {position} du fichier (sans ELEVE_ID)"
    return f"{label} ({name})" if name else label


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def _megabytes(size: int) -> str:
    return f"{size / _MEGA:.1f} Mo".replace(".", ",")
