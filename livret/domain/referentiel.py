"""The référentiel (common competencies, specialties, criteria) and its JSON loader."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from livret.domain.errors import NotFound, ValidationError
from livret.domain.levels import LEVEL_CODES
from livret.resources import resource_path

# A référentiel file is a few dozen KB; anything far bigger is a wrong or hostile file.
MAX_REFERENTIEL_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32
"""Nesting of JSON lists and objects (the bundled référentiel has 6 levels)."""
MAX_NUMBER_DIGITS = 30
"""Digits of a JSON number (Python would spend seconds on 100 000 of them, or refuse)."""
TITLE_MAX = 500
"""Longest title or label of a référentiel item (the bundled ones have under 140)."""
CRITERION_TEXT_MAX = 1000
"""Longest criterion text (the bundled ones have under 170)."""
STRING_MAX = 10_000
"""Longest string anywhere in the file, notes and sources included."""

# Codes and criterion ids end up in CSV imports, URLs of CASE packages and file
# names, so they must stay plain: letters, digits, dots, dashes, underscores.
_ID_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")


def _no_extra() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CommonCompetency:
    """A common competency of the trade family, e.g. CC2.1."""

    code: str
    title: str
    group_code: str
    group_label: str
    """The group's label, or "" when the référentiel declares no groups."""
    position: int
    """0-based rank in the référentiel."""


@dataclass(frozen=True, slots=True)
class Criterion:
    """One « indicateur de performance », mapped to exactly one common competency."""

    id: str
    text: str
    cc_code: str
    competency_code: str
    specialty_code: str
    confidence: str | None
    """How sure the CC mapping is (e.g. high, medium, low); None when not given."""
    position: int
    """0-based rank within its competency."""
    extra: Mapping[str, Any] = field(default_factory=_no_extra, compare=False, hash=False)
    """The criterion's other JSON fields (edit_note, mapping_note…), kept for the export."""


@dataclass(frozen=True, slots=True)
class Competency:
    """A detailed competency of one specialty, e.g. [PLP] CP03."""

    code: str
    title: str
    specialty_code: str
    position: int
    """0-based rank within its specialty."""
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class Specialty:
    """A specialty of the trade family (PLP, MSPC…)."""

    code: str
    title: str
    position: int
    """0-based rank in the référentiel."""
    competencies: tuple[Competency, ...]
    extra: Mapping[str, Any] = field(default_factory=_no_extra, compare=False, hash=False)
    """The specialty's other JSON fields (reference, status…), kept for the export."""


@dataclass(frozen=True, slots=True)
class Referentiel:
    """A whole competency framework, in référentiel order."""

    id: str
    title: str
    version: str
    common_competencies: tuple[CommonCompetency, ...]
    specialties: tuple[Specialty, ...]
    extra: Mapping[str, Any] = field(default_factory=_no_extra, compare=False, hash=False)
    """The other top-level JSON fields (sources, notes, levels…), kept for the export."""
    group_extra: Mapping[str, Mapping[str, Any]] = field(
        default_factory=_no_extra, compare=False, hash=False
    )
    """Per group code, the group's other JSON fields (status…), kept for the export."""
    _criteria: tuple[Criterion, ...] = field(init=False, repr=False, compare=False, hash=False)
    _cc_index: dict[str, CommonCompetency] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _criterion_index: dict[str, Criterion] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Dashboards and imports look criteria up for every row: index once.
        criteria = tuple(
            criterion
            for specialty in self.specialties
            for competency in specialty.competencies
            for criterion in competency.criteria
        )
        object.__setattr__(self, "_criteria", criteria)
        object.__setattr__(self, "_cc_index", {cc.code: cc for cc in self.common_competencies})
        object.__setattr__(self, "_criterion_index", {c.id: c for c in criteria})

    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion, specialty by specialty, competency by competency."""
        return self._criteria

    def cc(self, code: str) -> CommonCompetency:
        """The common competency with this code."""
        try:
            return self._cc_index[code]
        except KeyError:
            raise NotFound(f"Compétence commune inconnue : « {code} ».") from None

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id."""
        try:
            return self._criterion_index[criterion_id]
        except KeyError:
            raise NotFound(f"Critère inconnu : « {criterion_id} ».") from None

    def criteria_of_cc(self, code: str) -> tuple[Criterion, ...]:
        """The criteria mapped to one common competency, in référentiel order."""
        return tuple(c for c in self.criteria() if c.cc_code == code)


class InvalidReferentiel(ValidationError):
    """A référentiel file with problems; `problems` lists each one (French)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        count = len(self.problems)
        header = (
            "Le référentiel contient une erreur :"
            if count == 1
            else f"Le référentiel contient {count} erreurs :"
        )
        super().__init__("\n".join([header, *(f"- {p}" for p in self.problems)]))


class _Checker:
    """Reads raw JSON values while collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def report(self, where: str, what: str) -> None:
        self.problems.append(f"{where} : {what}")

    def text(
        self,
        obj: Mapping[str, Any],
        key: str,
        where: str,
        *,
        optional: bool = False,
        limit: int = TITLE_MAX,
    ) -> str:
        """A required non-blank string of at most `limit` characters; "" (after reporting)
        when it is not one."""
        if key not in obj or (optional and obj[key] is None):
            if not optional:
                self.report(where, f"champ « {key} » manquant.")
            return ""
        value = obj[key]
        if not isinstance(value, str):
            self.report(where, f"le champ « {key} » doit être un texte.")
            return ""
        if not value.strip():
            self.report(where, f"le champ « {key} » est vide.")
            return ""
        if len(value) > limit:
            self.report(
                where,
                f"le champ « {key} » est trop long ({_count(len(value))} caractères ; "
                f"{_count(limit)} au plus).",
            )
            return ""
        return value

    def code(self, obj: Mapping[str, Any], key: str, where: str) -> str:
        """A required identifier-like string (no spaces, no punctuation but . - _)."""
        value = self.text(obj, key, where)
        if value and not _ID_PATTERN.match(value):
            self.report(
                where,
                f"« {value} » n'est pas un code valide (lettres, chiffres, points et tirets, "
                "sans espace, 100 caractères au plus).",
            )
            return ""
        return value

    def objects(
        self, obj: Mapping[str, Any], key: str, where: str, *, optional: bool = False
    ) -> list[Mapping[str, Any]] | None:
        """A list of JSON objects; None when absent (and optional) or malformed."""
        if key not in obj:
            if not optional:
                self.report(where, f"champ « {key} » manquant.")
            return None
        value = obj[key]
        if not isinstance(value, list):
            self.report(where, f"le champ « {key} » doit être une liste.")
            return None
        good: list[Mapping[str, Any]] = []
        for index, item in enumerate(value, start=1):
            if isinstance(item, Mapping):
                good.append(item)
            else:
                self.report(where, f"l'élément n° {index} de « {key} » doit être un objet.")
        return good


def parse_referentiel(data: Mapping[str, Any]) -> Referentiel:
    """Build a référentiel from its JSON shape; raise InvalidReferentiel listing every problem."""
    check = _Checker()
    if not isinstance(data, Mapping):
        raise InvalidReferentiel(["Le fichier doit contenir un objet JSON à sa racine."])
    _check_shape(data)
    top = "Référentiel"
    ref_id = check.code(data, "id", top)
    title = check.text(data, "title", top)
    version = check.text(data, "version", top)

    _check_levels(data, check)
    group_labels, group_extra = _parse_groups(data, check)
    ccs = _parse_common_competencies(data, check, group_labels)
    specialties = _parse_specialties(data, check, {cc.code for cc in ccs})

    if check.problems:
        raise InvalidReferentiel(check.problems)
    return Referentiel(
        id=ref_id,
        title=title,
        version=version,
        common_competencies=tuple(ccs),
        specialties=tuple(specialties),
        extra=_extra(data, TOP_LEVEL_KEYS),
        group_extra=MappingProxyType(group_extra),
    )


def _check_shape(data: Mapping[str, Any]) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings longer than STRING_MAX, naming
    the first such field; walked without recursion, so any depth is safe."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if len(value) > STRING_MAX:
                raise InvalidReferentiel(
                    [
                        f"Champ « {path or 'racine'} » : texte trop long "
                        f"({_count(len(value))} caractères ; {_count(STRING_MAX)} au plus)."
                    ]
                )
            continue
        if isinstance(value, Mapping):
            children: list[tuple[str, Any]] = [(str(key), item) for key, item in value.items()]
        elif isinstance(value, list | tuple):
            children = [(str(index + 1), item) for index, item in enumerate(value)]
        else:
            continue
        if depth > MAX_DEPTH:
            raise InvalidReferentiel(
                [
                    f"Champ « {_short_path(path)} » : imbriqué sur plus de {MAX_DEPTH} niveaux, "
                    "ce n'est pas un référentiel."
                ]
            )
        for key, item in reversed(children):
            if len(key) > STRING_MAX:
                raise InvalidReferentiel(
                    [
                        f"Champ « {path or 'racine'} » : nom de champ trop long "
                        f"({_count(len(key))} caractères ; {_count(STRING_MAX)} au plus)."
                    ]
                )
            stack.append((item, f"{path} › {key}" if path else key, depth + 1))


def _short_path(path: str) -> str:
    parts = path.split(" › ")
    return path if len(parts) <= 6 else " › ".join([*parts[:2], "…", *parts[-3:]])


def _truncated(exc: json.JSONDecodeError, text: str) -> bool:
    return exc.msg.startswith("Unterminated") or exc.pos >= len(text.rstrip())


def _count(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


TOP_LEVEL_KEYS = frozenset(
    {"id", "title", "version", "common_competency_groups", "common_competencies", "specialties"}
)
SPECIALTY_KEYS = frozenset({"code", "title", "competencies"})
GROUP_KEYS = frozenset({"code", "label"})
CRITERION_KEYS = frozenset({"id", "text", "cc", "confidence"})


def _extra(data: Mapping[str, Any], known: frozenset[str]) -> Mapping[str, Any]:
    """The fields the app does not model (sources, notes…), read-only, in file order."""
    return MappingProxyType({key: value for key, value in data.items() if key not in known})


def _check_levels(data: Mapping[str, Any], check: _Checker) -> None:
    # The app's scale is fixed (colours, shares of points); a référentiel may
    # restate it but not change it.
    levels = check.objects(data, "levels", "Échelle de niveaux", optional=True)
    if levels is None:
        return
    codes: list[str] = []
    for index, level in enumerate(levels, start=1):
        code = level.get("code")
        if isinstance(code, bool) or not isinstance(code, str | int):
            check.report("Échelle de niveaux", f"le niveau n° {index} n'a pas de code.")
            continue
        codes.append(str(code))
    if sorted(codes) != sorted(LEVEL_CODES):
        check.report(
            "Échelle de niveaux",
            f"les codes doivent être exactement {', '.join(LEVEL_CODES)} "
            f"(trouvé : {', '.join(codes) or 'aucun'}).",
        )


def _parse_groups(
    data: Mapping[str, Any], check: _Checker
) -> tuple[dict[str, str] | None, dict[str, Mapping[str, Any]]]:
    """Each group's label by code (None without a groups list) and its other fields."""
    groups = check.objects(data, "common_competency_groups", "Groupes", optional=True)
    if groups is None:
        return None, {}
    labels: dict[str, str] = {}
    extras: dict[str, Mapping[str, Any]] = {}
    for index, group in enumerate(groups, start=1):
        where = f"Groupe n° {index}"
        code = check.code(group, "code", where)
        if code:
            where = f"Groupe {code}"
        label = check.text(group, "label", where)
        if not code:
            continue
        if code in labels:
            check.report(where, "code en double.")
            continue
        labels[code] = label
        if extra := _extra(group, GROUP_KEYS):
            extras[code] = extra
    return labels, extras


def _parse_common_competencies(
    data: Mapping[str, Any], check: _Checker, group_labels: dict[str, str] | None
) -> list[CommonCompetency]:
    items = check.objects(data, "common_competencies", "Référentiel")
    if items is None:
        return []
    if not items:
        check.report("Référentiel", "aucune compétence commune.")
    ccs: list[CommonCompetency] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"Compétence commune n° {index + 1}"
        code = check.code(item, "code", where)
        if code:
            where = f"Compétence commune {code}"
        title = check.text(item, "title", where)
        group = check.code(item, "group", where)
        group_label = ""
        if group and group_labels is not None:
            if group in group_labels:
                group_label = group_labels[group]
            else:
                check.report(where, f"groupe « {group} » inconnu.")
        if not code:
            continue
        if code in seen:
            check.report(where, "code en double.")
            continue
        seen.add(code)
        ccs.append(CommonCompetency(code, title, group, group_label, len(ccs)))
    return ccs


def _parse_specialties(
    data: Mapping[str, Any], check: _Checker, cc_codes: set[str]
) -> list[Specialty]:
    items = check.objects(data, "specialties", "Référentiel")
    if items is None:
        return []
    specialties: list[Specialty] = []
    seen: set[str] = set()
    # Criterion ids are global: results in the database and import files name them alone.
    criterion_owner: dict[str, str] = {}
    for index, item in enumerate(items):
        where = f"Spécialité n° {index + 1}"
        code = check.code(item, "code", where)
        if code:
            where = f"Spécialité {code}"
        title = check.text(item, "title", where)
        if code and code in seen:
            check.report(where, "code en double.")
        seen.add(code)
        competencies = _parse_competencies(item, check, where, code, cc_codes, criterion_owner)
        specialties.append(
            Specialty(
                code,
                title,
                len(specialties),
                tuple(competencies),
                extra=_extra(item, SPECIALTY_KEYS),
            )
        )
    return specialties


def _parse_competencies(
    specialty: Mapping[str, Any],
    check: _Checker,
    specialty_where: str,
    specialty_code: str,
    cc_codes: set[str],
    criterion_owner: dict[str, str],
) -> list[Competency]:
    # An empty list is valid: a specialty may be declared before its text is available.
    items = check.objects(specialty, "competencies", specialty_where)
    if items is None:
        return []
    competencies: list[Competency] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{specialty_where}, compétence n° {index + 1}"
        code = check.code(item, "code", where)
        if code:
            where = f"Compétence [{specialty_code}] {code}"
        title = check.text(item, "title", where)
        if code and code in seen:
            check.report(where, "code en double dans la spécialité.")
        seen.add(code)
        criteria = _parse_criteria(
            item, check, where, specialty_code, code, cc_codes, criterion_owner
        )
        competencies.append(
            Competency(code, title, specialty_code, len(competencies), tuple(criteria))
        )
    return competencies


def _parse_criteria(
    competency: Mapping[str, Any],
    check: _Checker,
    competency_where: str,
    specialty_code: str,
    competency_code: str,
    cc_codes: set[str],
    criterion_owner: dict[str, str],
) -> list[Criterion]:
    items = check.objects(competency, "criteria", competency_where)
    if items is None:
        return []
    criteria: list[Criterion] = []
    for index, item in enumerate(items):
        where = f"{competency_where}, critère n° {index + 1}"
        criterion_id = check.code(item, "id", where)
        if criterion_id:
            where = f"Critère {criterion_id}"
        text = check.text(item, "text", where, limit=CRITERION_TEXT_MAX)
        cc_code = check.text(item, "cc", where)
        if cc_code and cc_code not in cc_codes:
            check.report(where, f"compétence commune « {cc_code} » inconnue.")
        confidence = check.text(item, "confidence", where, optional=True) or None
        if criterion_id:
            owner = criterion_owner.get(criterion_id)
            if owner is not None:
                check.report(where, f"identifiant en double (déjà utilisé dans {owner}).")
            else:
                criterion_owner[criterion_id] = f"[{specialty_code}] {competency_code}"
        criteria.append(
            Criterion(
                id=criterion_id,
                text=text,
                cc_code=cc_code,
                competency_code=competency_code,
                specialty_code=specialty_code,
                confidence=confidence,
                position=len(criteria),
                extra=_extra(item, CRITERION_KEYS),
            )
        )
    return criteria


def load_referentiel_file(path: Path) -> Referentiel:
    """Read and check a référentiel JSON file (UTF-8)."""
    try:
        size = path.stat().st_size
        if size > MAX_REFERENTIEL_BYTES:
            raise ValidationError(
                f"Le fichier « {path.name} » est trop gros pour un référentiel "
                f"({size // (1024 * 1024)} Mo ; {MAX_REFERENTIEL_BYTES // (1024 * 1024)} Mo "
                "au plus)."
            )
        with path.open("rb") as stream:
            raw = stream.read(MAX_REFERENTIEL_BYTES + 1)  # the file may grow meanwhile
    except FileNotFoundError:
        raise ValidationError(f"Fichier introuvable : « {path} ».") from None
    except OSError as exc:
        raise ValidationError(
            f"Impossible de lire le fichier « {path} » : {exc.strerror or exc}."
        ) from None
    return parse_referentiel_bytes(raw, path.name)


def parse_referentiel_bytes(raw: bytes, name: str) -> Referentiel:
    """Read and check the bytes of a référentiel JSON file named `name` (UTF-8).

    Every refusal is a French ValidationError (InvalidReferentiel for the content).
    """
    if len(raw) > MAX_REFERENTIEL_BYTES:
        raise ValidationError(
            f"Le fichier « {name} » est trop gros pour un référentiel "
            f"({len(raw) // (1024 * 1024)} Mo ; {MAX_REFERENTIEL_BYTES // (1024 * 1024)} Mo "
            "au plus)."
        )
    try:
        # utf-8-sig: editors on Windows often add a BOM.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw.count(b"\n", 0, start) + 1
        raise ValidationError(
            f"Le fichier « {name} » n'est pas encodé en UTF-8 (octet invalide "
            f"0x{raw[start]:02X} ligne {line}) : réenregistrez-le en UTF-8."
        ) from None
    try:
        data = json.loads(
            text, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"Le fichier « {name} » n'est pas un JSON valide : "
            f"erreur ligne {exc.lineno}, colonne {exc.colno}"
            f"{' (fichier incomplet ?)' if _truncated(exc, text) else ''}."
        ) from None
    except _BadNumber as exc:
        raise ValidationError(f"Le fichier « {name} » {exc}{_line_of_number(text)}.") from None
    except RecursionError:
        raise ValidationError(
            f"Le fichier « {name} » est imbriqué trop profondément pour être un référentiel."
        ) from None
    except ValueError:  # any other number Python refuses to convert
        raise ValidationError(
            f"Le fichier « {name} » contient une valeur illisible : ce n'est pas un référentiel."
        ) from None
    if not isinstance(data, Mapping):
        raise InvalidReferentiel(["Le fichier doit contenir un objet JSON à sa racine."])
    return parse_referentiel(data)


_LONG_NUMBER = re.compile(rf"[-\d.eE+]{{{MAX_NUMBER_DIGITS + 1},}}|NaN|-?Infinity")


class _BadNumber(ValueError):
    """A JSON number the référentiel refuses; str() is the French end of a sentence."""


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise _BadNumber(
            f"contient un nombre de {_count(digits)} chiffres ({MAX_NUMBER_DIGITS} au plus)"
        )
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > 2 * MAX_NUMBER_DIGITS:
        raise _BadNumber(
            f"contient un nombre de {_count(len(text))} caractères "
            f"({2 * MAX_NUMBER_DIGITS} au plus)"
        )
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"contient un nombre trop grand ({text[:40]})")
    return value


def _no_constant(text: str) -> Any:
    raise _BadNumber(f"contient « {text} », qui n'est pas un nombre JSON")


def _line_of_number(text: str) -> str:
    match = _LONG_NUMBER.search(text)
    return f" (ligne {text.count(chr(10), 0, match.start()) + 1})" if match else ""


def bundled_referentiel_path(name: str = "pmia") -> Path:
    """The path of a référentiel shipped with the app (resources/referentiels/<name>.json)."""
    return resource_path("referentiels", f"{name}.json")
