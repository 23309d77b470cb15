"""PDF exports of bilans: one bilan, one learner's latest, a whole class for the conseil de classe.

A class's PDFs follow the one rule (livret.domain.bilan_choice) for the day of the
conseil: each learner's latest final bilan on or before it — the bilan their mark is
computed from — or, when asked, a more recent draft, watermarked BROUILLON.

Reads the data (one snapshot per bilan, through BilanService.sheet), builds the
frozen BilanDocument of livret.reports and writes the rendered PDF. Files are written
to a temporary name in the destination folder, then renamed over the final name: a
reader never sees half a PDF, and exporting again replaces a previous export of the
same file name (same class, learner and bilan date) — deliberately, since it is the
same bilan printed again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from livret.domain.bilan_choice import french_date
from livret.domain.errors import LivretError, NotFound, ValidationError
from livret.domain.marks import coverage_text, is_flagged
from livret.domain.permissions import (
    Action,
    require,
    require_all,
    require_bilan,
    require_learner,
)
from livret.domain.roles import Actor
from livret.reports.document import BilanDocument, BilanDocumentRow
from livret.services.bilan_choice import LearnerChoice, class_choices
from livret.services.bilans import NOT_EVALUATED
from livret.services.database import Database
from livret.services.dto import display_name
from livret.services.establishment import EstablishmentInfo, read_establishment
from livret.services.marks import read_mark_settings
from livret.storage import audit_chain, models

MAX_FILE_NAME = 120
"""Longest file name written (with its extension): far from Windows' 255, leaves room
for the folder in its 260-character paths."""

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{n}" for n in range(1, 10)),
    *(f"LPT{n}" for n in range(1, 10)),
}

Progress = Callable[[int, int], None]
"""progress(done, total): called with (0, total) first, then after each file written."""


class ExportError(LivretError):
    """A PDF could not be written (folder missing, disk full, file open elsewhere…)."""


@dataclass(frozen=True, slots=True)
class SkippedLearner:
    """A learner of the class who gets no PDF, and why (the rule's reason)."""

    name: str
    reason: str
    learner_id: int


@dataclass(frozen=True, slots=True)
class ClassPlan:
    """What a class PDF export would hold for a conseil, before anything is written."""

    class_code: str
    class_label: str
    school_year_label: str
    on: dt.date
    include_drafts: bool
    choices: tuple[LearnerChoice, ...]
    """Every learner of the class, alphabetical, with the bilan the rule chose (or why none)."""

    @property
    def chosen(self) -> tuple[LearnerChoice, ...]:
        return tuple(c for c in self.choices if c.choice.chosen)

    @property
    def skipped(self) -> tuple[SkippedLearner, ...]:
        return tuple(
            SkippedLearner(c.learner.display_name, c.choice.reason, c.learner.id)
            for c in self.choices
            if not c.choice.chosen
        )

    @property
    def drafts(self) -> int:
        return sum(1 for c in self.choices if c.choice.is_draft)


@dataclass(frozen=True, slots=True)
class ClassExport:
    """What export_class_pdfs wrote."""

    class_code: str
    class_label: str
    school_year_label: str
    files: tuple[Path, ...]
    """One PDF per learner with a bilan for the day, in alphabetical order of the learners."""
    skipped: tuple[SkippedLearner, ...]
    combined: Path | None
    """The conseil de classe PDF holding every bilan above; None when there is none."""
    on: dt.date
    """The day of the conseil the bilans were chosen for."""
    bilan_ids: tuple[int, ...]
    """The bilan of each file, in the order of `files`."""
    drafts: int
    """How many of those bilans are drafts (watermarked BROUILLON)."""


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the PDF and its file name need beyond the bilan sheet."""

    ine: str
    family_name: str
    first_name: str
    class_code: str | None
    mark: Decimal | None
    ne_count: int


@dataclass(frozen=True, slots=True)
class _ClassRef:
    id: int
    code: str
    label: str
    year_label: str
    year_start: dt.date
    year_end: dt.date


class ExportService:
    """PDF exports: each bilan is read (its sheet in one snapshot), rendered, then written.

    Teachers and the DDFPT export any bilan; a learner, only their own final bilans;
    the administrator, none (livret.domain.permissions).
    """

    def __init__(
        self,
        database: Database,
        actor: Actor,
        *,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self._database = database
        self._actor = actor
        self._clock = clock

    # -- one bilan ---------------------------------------------------------------------

    def bilan_document(self, bilan_id: int) -> BilanDocument:
        """The printable content of any bilan (draft or final)."""
        return self._documents([bilan_id])[bilan_id][0]

    def export_bilan_pdf(self, bilan_id: int, out: Path) -> Path:
        """Write one bilan's PDF; `out` is a file ending in .pdf, or else a folder (created
        if need be) where it is named "<classe>_<NOM>_<Prénom>_<date>.pdf".
        """
        from livret.reports.bilan_pdf import render_bilan_pdf  # reportlab: on first use

        document, facts = self._documents([bilan_id])[bilan_id]
        is_file = not out.is_dir() and out.suffix.lower() == ".pdf"
        target = out if is_file else out / _bilan_file_name(document, facts)
        _write(target, render_bilan_pdf(document))
        return target

    def export_learner_pdf(self, ine: str, out_dir: Path) -> Path:
        """Write the PDF of the learner's latest final bilan into `out_dir`."""
        require(self._actor, Action.EXPORT_BILAN_PDF)
        wanted = ine.strip().upper()
        bilan, learner = models.Bilan, models.Learner
        with self._database.snapshot() as connection:
            found = connection.execute(
                select(learner.id, learner.family_name, learner.first_name).where(
                    learner.ine == wanted
                )
            ).first()
            if found is None:
                raise NotFound(f"Aucun apprenant n'a l'INE « {ine.strip()} ».")
            require_learner(self._actor, Action.EXPORT_BILAN_PDF, found.id)
            latest = connection.scalar(
                select(bilan.id)
                .where(bilan.learner_id == found.id, bilan.status == "final")
                .order_by(bilan.bilan_date.desc(), bilan.id.desc())
                .limit(1)
            )
        if latest is None:
            name = display_name(found.family_name, found.first_name)
            raise ValidationError(
                f"{name} n'a aucun bilan définitif : il n'y a rien à exporter "
                "(un brouillon doit d'abord être enregistré définitivement)."
            )
        _prepare_folder(out_dir)
        return self.export_bilan_pdf(latest, out_dir)

    # -- a class -----------------------------------------------------------------------

    def class_plan(
        self,
        class_code: str,
        *,
        school_year: str | None = None,
        on: dt.date | None = None,
        include_drafts: bool = False,
    ) -> ClassPlan:
        """Which bilan each learner of the class would get for a conseil held on `on`
        (default: today): what the class PDF dialog lists before exporting."""
        require_all(self._actor, Action.EXPORT_CLASS_PDFS)
        day = self._day(on)
        with self._database.snapshot() as connection:
            klass = _find_class(connection, class_code, school_year)
            choices = class_choices(connection, klass.id, day, include_drafts=include_drafts)
        return ClassPlan(
            klass.code, klass.label, klass.year_label, day, include_drafts, tuple(choices)
        )

    def export_class_pdfs(
        self,
        class_code: str,
        out_dir: Path,
        *,
        school_year: str | None = None,
        progress: Progress | None = None,
        on: dt.date | None = None,
        include_drafts: bool = False,
    ) -> ClassExport:
        """One PDF per learner of the class, and one combined PDF for the conseil de classe
        held on `on` (default: today).

        Each learner's bilan is the one rule's choice (the bilan their mark comes from):
        their latest final bilan on or before `on`, whatever class it was written in; with
        `include_drafts`, a more recent draft instead, watermarked BROUILLON. A class code
        used in several school years means the most recent one, unless `school_year`
        ("2025-2026") says otherwise. Learners without a bilan get no PDF: they are listed
        in `skipped` with the rule's reason.
        """
        plan = self.class_plan(
            class_code, school_year=school_year, on=on, include_drafts=include_drafts
        )
        from livret.reports.bilan_pdf import render_class_pdfs

        chosen = [c.choice.bilan_id for c in plan.chosen if c.choice.bilan_id is not None]
        _prepare_folder(out_dir)
        total = len(chosen) + (1 if chosen else 0)
        if progress is not None:
            progress(0, total)

        files: list[Path] = []
        combined: Path | None = None
        if chosen:
            read = self._documents(chosen)
            documents = [read[bilan_id][0] for bilan_id in chosen]
            title = (
                f"Conseil de classe du {french_date(plan.on)} — "
                f"{plan.class_label} ({plan.school_year_label})"
            )
            combined_pdf, singles = render_class_pdfs(
                documents,
                title=title,
                subject=f"Bilans intermédiaires de compétences — {len(documents)} apprenants",
            )
            used: set[str] = set()
            for bilan_id, document, data in zip(chosen, documents, singles, strict=True):
                name = _unique(_bilan_file_name(document, read[bilan_id][1]), used)
                target = out_dir / name
                _write(target, data)
                files.append(target)
                if progress is not None:
                    progress(len(files), total)
            combined = out_dir / safe_file_name(
                f"{plan.class_code}_conseil_de_classe_{plan.on.isoformat()}"
            )
            _write(combined, combined_pdf)
            if progress is not None:
                progress(total, total)
        return ClassExport(
            class_code=plan.class_code,
            class_label=plan.class_label,
            school_year_label=plan.school_year_label,
            files=tuple(files),
            skipped=plan.skipped,
            combined=combined,
            on=plan.on,
            bilan_ids=tuple(chosen),
            drafts=plan.drafts,
        )

    def _day(self, on: dt.date | None) -> dt.date:
        if on is None:
            return self._clock().date()
        if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
            raise ValidationError("Date du conseil de classe invalide.")
        return on

    # -- an access request (RGPD) -------------------------------------------------------

    def learner_documents(self, learner_id: int) -> dict[int, BilanDocument]:
        """Every bilan of one learner, drafts included, for an access request (RGPD).

        The right of access (EXPORT_LEARNER_DATA) is the school's answer to the person,
        not a bilan right: the Administrateur answers it though they read no bilan else.
        """
        require_all(self._actor, Action.EXPORT_LEARNER_DATA)
        with self._database.snapshot() as connection:
            bilan_ids = list(
                connection.scalars(
                    select(models.Bilan.id)
                    .where(models.Bilan.learner_id == learner_id)
                    .order_by(models.Bilan.bilan_date, models.Bilan.id)
                )
            )
            contents = read_contents(connection, bilan_ids)
            establishment = read_establishment(connection)
            facts = _facts(connection, bilan_ids)
            min_share = read_mark_settings(connection).min_share
        now = self._clock()
        return {
            bilan_id: _content_document(
                contents[bilan_id], facts[bilan_id], establishment, now, min_share
            )
            for bilan_id in bilan_ids
        }

    # -- reading -----------------------------------------------------------------------

    def _documents(self, bilan_ids: Sequence[int]) -> dict[int, tuple[BilanDocument, _Facts]]:
        """The documents of some bilans, permissions checked before anything is read."""
        require(self._actor, Action.EXPORT_BILAN_PDF)
        with self._database.snapshot() as connection:
            owners = {
                row.id: row
                for row in connection.execute(
                    select(models.Bilan.id, models.Bilan.learner_id, models.Bilan.status).where(
                        models.Bilan.id.in_(list(bilan_ids))
                    )
                )
            }
        for bilan_id in bilan_ids:
            if bilan_id not in owners:
                raise NotFound(f"Bilan introuvable (n° {bilan_id}).")
            owner = owners[bilan_id]
            require_bilan(self._actor, Action.EXPORT_BILAN_PDF, owner.learner_id, owner.status)
        with self._database.snapshot() as connection:
            establishment = read_establishment(connection)
            contents = read_contents(connection, bilan_ids)
            facts = _facts(connection, bilan_ids)
            min_share = read_mark_settings(connection).min_share
        now = self._clock()
        result: dict[int, tuple[BilanDocument, _Facts]] = {}
        for bilan_id in bilan_ids:
            if bilan_id not in facts or bilan_id not in contents:
                raise NotFound(f"Bilan introuvable (n° {bilan_id}).")
            document = _content_document(
                contents[bilan_id], facts[bilan_id], establishment, now, min_share
            )
            result[bilan_id] = (document, facts[bilan_id])
        return result


@dataclass(frozen=True, slots=True)
class BilanContent:
    """What a bilan's PDF shows of its sheet (BilanSheet without the editor's history)."""

    learner_name: str
    class_label: str | None
    school_year_label: str | None
    status: str
    bilan_date: dt.date
    constats: str
    conseils: str
    author: str | None
    finalized_at: dt.datetime | None
    finalized_by: str | None
    previous_date: dt.date | None
    rows: tuple[BilanDocumentRow, ...]


_author, _finalizer = aliased(models.User), aliased(models.User)


def read_contents(connection: Connection, bilan_ids: Sequence[int]) -> dict[int, BilanContent]:
    """The printable content of many bilans in four queries, whatever their number.

    The same as livret.services.bilans.read_sheet gives, bilan by bilan: the previous
    bilan is the learner's latest other final bilan (before this one when this one is
    final), a final bilan lists the CCs recorded when it was finalized, a draft today's.
    """
    if not bilan_ids:
        return {}
    bilan, learner = models.Bilan, models.Learner
    klass, year = models.SchoolClass, models.SchoolYear
    heads = connection.execute(
        select(
            bilan.id,
            bilan.learner_id,
            learner.family_name,
            learner.first_name,
            klass.label,
            year.label,
            bilan.status,
            bilan.bilan_date,
            bilan.constats,
            bilan.conseils,
            _author.display_name,
            bilan.finalized_at,
            _finalizer.display_name,
            bilan.cc_snapshot,
        )
        .join(learner, learner.id == bilan.learner_id)
        .outerjoin(klass, klass.id == bilan.class_id)
        .outerjoin(year, year.id == klass.school_year_id)
        .outerjoin(_author, _author.id == bilan.author_id)
        .outerjoin(_finalizer, _finalizer.id == bilan.finalized_by_id)
        .where(bilan.id.in_(list(bilan_ids)))
    ).all()
    if not heads:
        return {}
    # Every final bilan of these learners, to find each one's previous bilan.
    finals: dict[int, list[tuple[dt.date, int]]] = {}
    for bilan_id, learner_id, bilan_date in connection.execute(
        select(bilan.id, bilan.learner_id, bilan.bilan_date).where(
            bilan.learner_id.in_(sorted({head[1] for head in heads})), bilan.status == "final"
        )
    ):
        finals.setdefault(learner_id, []).append((bilan_date, bilan_id))
    previous: dict[int, tuple[int, dt.date] | None] = {}
    for head in heads:
        bilan_id, learner_id, status, bilan_date = head[0], head[1], head[6], head[7]
        candidates = [
            (date, other)
            for date, other in finals.get(learner_id, ())
            if other != bilan_id and (status != "final" or (date, other) < (bilan_date, bilan_id))
        ]
        latest = max(candidates, default=None)
        previous[bilan_id] = None if latest is None else (latest[1], latest[0])
    wanted = {head[0] for head in heads} | {p[0] for p in previous.values() if p is not None}
    positioning = models.Positioning
    levels: dict[tuple[int, int], str] = {
        (owner, cc_id): level
        for owner, cc_id, level in connection.execute(
            select(positioning.bilan_id, positioning.common_competency_id, positioning.level).where(
                positioning.bilan_id.in_(sorted(wanted))
            )
        )
    }
    snapshots: dict[str | None, tuple[audit_chain.SnapshotEntry, ...]] = {}
    current: tuple[audit_chain.SnapshotEntry, ...] | None = None
    contents: dict[int, BilanContent] = {}
    for head in heads:
        (bilan_id, _, family_name, first_name, class_label, year_label, status) = head[:7]
        bilan_date, constats, conseils, author, finalized_at, finalized_by, stored = head[7:]
        snapshot = None
        if status == "final":
            if stored not in snapshots:
                loaded = audit_chain.load_snapshot(stored)
                if loaded is not None:
                    snapshots[stored] = loaded
            snapshot = snapshots.get(stored)
        if snapshot is None:
            if current is None:
                current = audit_chain.current_snapshot(connection)
            snapshot = current
        before = previous[bilan_id]
        previous_id = None if before is None else before[0]
        contents[bilan_id] = BilanContent(
            learner_name=display_name(family_name, first_name),
            class_label=class_label,
            school_year_label=year_label,
            status=status,
            bilan_date=bilan_date,
            constats=constats,
            conseils=conseils,
            author=author,
            finalized_at=finalized_at,
            finalized_by=finalized_by,
            previous_date=None if before is None else before[1],
            rows=tuple(
                BilanDocumentRow(
                    entry.code,
                    entry.title,
                    None
                    if previous_id is None
                    else levels.get((previous_id, entry.common_competency_id), NOT_EVALUATED),
                    levels.get((bilan_id, entry.common_competency_id), NOT_EVALUATED),
                )
                for entry in snapshot
            ),
        )
    return contents


def _content_document(
    content: BilanContent,
    facts: _Facts,
    establishment: EstablishmentInfo,
    now: dt.datetime,
    min_share: Decimal,
) -> BilanDocument:
    return BilanDocument(
        establishment=establishment.name,
        establishment_uai=establishment.uai,
        establishment_city=establishment.city,
        establishment_logo=establishment.logo,
        learner_name=content.learner_name,
        ine=facts.ine,
        class_label=content.class_label,
        school_year_label=content.school_year_label,
        bilan_date=content.bilan_date,
        status=content.status,
        author=content.author,
        finalized_at=content.finalized_at,
        finalized_by=content.finalized_by,
        previous_date=content.previous_date,
        rows=content.rows,
        constats=content.constats,
        conseils=content.conseils,
        mark=facts.mark,
        mark_ne_count=facts.ne_count,
        generated_at=now,
        mark_alert=_mark_alert(content.rows, facts.mark, min_share),
    )


def _mark_alert(rows: Sequence[BilanDocumentRow], mark: Decimal | None, min_share: Decimal) -> str:
    """The marks' warning, on the PDF too: a mark resting on fewer than `min_share` CCs."""
    if mark is None:
        return ""
    counted = sum(1 for row in rows if row.current != NOT_EVALUATED)
    return coverage_text(counted, len(rows)) if is_flagged(counted, len(rows), min_share) else ""


def _facts(connection: Connection, bilan_ids: Sequence[int]) -> dict[int, _Facts]:
    bilan, learner, klass, mark = models.Bilan, models.Learner, models.SchoolClass, models.Mark
    rows = connection.execute(
        select(
            bilan.id,
            learner.ine,
            learner.family_name,
            learner.first_name,
            klass.code,
            mark.value,
            mark.ne_count,
        )
        .join(learner, learner.id == bilan.learner_id)
        .outerjoin(klass, klass.id == bilan.class_id)
        .outerjoin(mark, mark.bilan_id == bilan.id)
        .where(bilan.id.in_(list(bilan_ids)))
    )
    return {
        row[0]: _Facts(
            ine=row[1],
            family_name=row[2],
            first_name=row[3],
            class_code=row[4],
            mark=None if row[5] is None else Decimal(row[5]),
            ne_count=row[6] or 0,
        )
        for row in rows
    }


def _find_class(connection: Connection, code: str, school_year: str | None) -> _ClassRef:
    klass, year = models.SchoolClass, models.SchoolYear
    wanted = code.strip()
    if not wanted:
        raise ValidationError("Indiquez le code de la classe (par exemple 1PLP1).")
    query = (
        select(klass.id, klass.code, klass.label, year.label, year.start_date, year.end_date)
        .join(year, year.id == klass.school_year_id)
        .order_by(year.start_date.desc())
    )
    if school_year is not None:
        if connection.scalar(select(year.id).where(year.label == school_year.strip())) is None:
            raise NotFound(f"Année scolaire inconnue : « {school_year.strip()} ».")
        query = query.where(year.label == school_year.strip())
    rows = connection.execute(query.where(klass.code == wanted)).all()
    if not rows:
        # A code typed in lower case still finds its class.
        rows = [
            row for row in connection.execute(query).all() if row[1].casefold() == wanted.casefold()
        ]
    if not rows:
        where = f" en {school_year.strip()}" if school_year is not None else ""
        raise NotFound(f"Aucune classe « {wanted} »{where}.")
    return _ClassRef(*rows[0])


# -- files ------------------------------------------------------------------------------


def safe_file_name(stem: str, suffix: str = ".pdf", *, max_length: int = MAX_FILE_NAME) -> str:
    """A file name valid on Windows, macOS and Linux from any text.

    Accented letters and apostrophes stay; <>:"/\\|?* and control characters become
    separators; spaces become "_"; no leading or trailing dot, space or "_"; device
    names (CON, NUL, COM1…) get a "_" in front; at most `max_length` characters.
    """
    cleaned = _clean_part(stem)
    if not cleaned:
        cleaned = "sans_nom"
    cleaned = cleaned[: max(1, max_length - len(suffix))].rstrip("._- ")
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned[: max(1, max_length - len(suffix) - 1)]
    return cleaned + suffix


def bilan_file_name(
    class_code: str | None,
    family_name: str,
    first_name: str,
    bilan_date: dt.date,
    *,
    max_length: int = MAX_FILE_NAME,
) -> str:
    """ "1PLP1_BENARD_Manon_2026-03-20.pdf": a long name is shortened, never the date."""
    head = _clean_part(class_code or "")
    tail = f"_{bilan_date.isoformat()}.pdf"
    name = _clean_part(f"{family_name.upper()} {first_name}") or "sans_nom"
    room = max_length - len(tail) - (len(head) + 1 if head else 0)
    name = name[: max(1, room)].rstrip("._- ") or "sans_nom"
    return safe_file_name(
        f"{head}_{name}_{bilan_date.isoformat()}" if head else f"{name}_{bilan_date.isoformat()}",
        max_length=max_length,
    )


def _clean_part(text: str) -> str:
    normalized = unicodedata.normalize("NFC", text)
    spaced = _FORBIDDEN.sub(" ", normalized)
    spaced = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in spaced
    )
    joined = "_".join(spaced.split())
    return re.sub(r"_{2,}", "_", joined).strip("._- ")


DRAFT_SUFFIX = "_brouillon"
"""A draft's PDF says so in its name too: the final bilan of the same day will not be
mistaken for it (and does not replace it)."""


def _bilan_file_name(document: BilanDocument, facts: _Facts) -> str:
    if not document.is_draft:
        return bilan_file_name(
            facts.class_code, facts.family_name, facts.first_name, document.bilan_date
        )
    name = bilan_file_name(
        facts.class_code,
        facts.family_name,
        facts.first_name,
        document.bilan_date,
        max_length=MAX_FILE_NAME - len(DRAFT_SUFFIX),
    )
    return name.removesuffix(".pdf") + DRAFT_SUFFIX + ".pdf"


def _unique(name: str, used: set[str]) -> str:
    """Two namesakes with a bilan on the same day must not overwrite each other."""
    stem, suffix = os.path.splitext(name)
    candidate, number = name, 1
    while candidate.casefold() in used:
        number += 1
        candidate = f"{stem[: MAX_FILE_NAME - len(suffix) - 4]}_{number}{suffix}"
    used.add(candidate.casefold())
    return candidate


def _prepare_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"« {folder} » est un fichier, pas un dossier.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"Impossible de créer le dossier « {folder} » : {exc.strerror or exc}."
        ) from None


def _write(target: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, then rename it over `target`."""
    _prepare_folder(target.parent)
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.stem[:40]}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(handle, "wb") as stream:
            # A bilan is about a minor: owner-only like the database and the CSVs
            # (mkstemp creates it 0600 already; said again in case of an odd umask).
            if os.name == "posix":
                os.fchmod(stream.fileno(), 0o600)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        hint = " (le fichier est-il ouvert dans une autre application ?)"
        raise ExportError(
            f"Impossible d'écrire « {target} » : {exc.strerror or exc}"
            + (hint if isinstance(exc, PermissionError) else "")
            + "."
        ) from None
