"""Conseil de classe: for a class and a day, every learner's bilan, mark, changes and remark.

The bilan is the one the shared rule chooses (livret.services.bilan_choice: the latest
final bilan on or before the day; a draft only when asked). The mark is the one
« Noter le dernier bilan » computes (livret.domain.marks.compute_mark with the stored
settings), computed on final bilans only, like the marks themselves. Each CC's change
(↑ ↓ =) compares the chosen bilan with the learner's final bilan just before it.

The teacher's one-line remark is kept per class, learner and conseil date; writing it is
audited like any other change, in the learner's name (so that the RGPD erasure finds
it). A handful of queries whatever the size of the class; no query per learner.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from livret.domain.bilan_choice import BilanHead, french_date
from livret.domain.conseil import TREND_LEGEND, Trend, clean_remark, trend
from livret.domain.errors import ConflictError, NotFound, ValidationError
from livret.domain.levels import Level, parse_level
from livret.domain.marks import MarkSettings, compute_mark, is_flagged
from livret.domain.permissions import Action, require_all
from livret.domain.roles import Actor
from livret.exchange.marks_export import Cell
from livret.services import audit
from livret.services.bilan_choice import class_choices
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.services.database_errors import reads_database
from livret.services.dto import CommonCompetencyInfo, LearnerSummary
from livret.storage import models

if TYPE_CHECKING:
    from livret.reports.conseil_pdf import ConseilDocument

STATUS_FINAL = "final"
STATUS_DRAFT = "draft"
STATUS_NONE = "none"
STATUS_LABELS = {STATUS_FINAL: "définitif", STATUS_DRAFT: "brouillon", STATUS_NONE: "aucun"}

NO_MARK_ON_DRAFT = "pas de note sur un brouillon"
ALL_NE = "tout est NE : pas de note"
NO_WEIGHT = "coefficients tous nuls : pas de note"

FLAG_NOTE = "note calculée sur trop peu de compétences communes positionnées : à vérifier"

REMARK_ACTION = "conseil_remark_saved"
CHANGE_KIND = "conseil_remark"
TABLE_SUFFIXES = (".csv", ".xlsx")
TREND_WORDS = {Trend.UP: "hausse", Trend.DOWN: "baisse", Trend.SAME: "stable", Trend.NONE: ""}
"""In the CSV/XLSX, words: a cell starting with « = » would be neutralised as a formula."""


@dataclass(frozen=True, slots=True)
class ConseilLine:
    """One learner of the conseil."""

    learner: LearnerSummary
    bilan_id: int | None
    bilan_date: dt.date | None
    status: str
    """"final", "draft" or "none" (no bilan to show: `reason` says why)."""
    reason: str
    """French, empty when a bilan is shown (« aucun bilan définitif »…)."""
    mark: Decimal | None
    """Out of 20, as « Noter le dernier bilan » computes it now; None on a draft."""
    mark_flagged: bool
    """The mark stands on too few positioned CCs (see marks' rule): shown with a warning."""
    mark_note: str
    """French, why there is no mark (« tout est NE : pas de note »…), else empty."""
    ne_count: int | None
    """CCs NE (or not positioned) in the bilan shown; None without a bilan."""
    counted: int
    """CCs positioned 1–4 in the bilan shown."""
    previous_date: dt.date | None
    """The final bilan the changes compare with; None when there is none before."""
    levels: tuple[str, ...]
    """The level of each CC in the bilan shown ("NE", "1"…"4"), in the view's CC order."""
    previous_levels: tuple[str | None, ...]
    """The same CCs in the previous final bilan; None without one."""
    trends: tuple[Trend, ...]
    """↑ ↓ = (or nothing) per CC, in the view's CC order."""
    remark: str
    remark_author: str | None
    remark_updated_at: dt.datetime | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True, slots=True)
class ConseilView:
    """A class on the day of its conseil, one line per enrolled learner (alphabetical)."""

    class_id: int
    class_code: str
    class_label: str
    school_year_label: str
    on: dt.date
    include_drafts: bool
    common_competencies: tuple[CommonCompetencyInfo, ...]
    settings: MarkSettings
    lines: tuple[ConseilLine, ...]
    establishment: str = ""

    @property
    def title(self) -> str:
        return f"Conseil du {french_date(self.on)} — {self.class_code} ({self.school_year_label})"

    @property
    def without_bilan(self) -> int:
        return sum(1 for line in self.lines if line.bilan_id is None)

    @property
    def flagged(self) -> int:
        return sum(1 for line in self.lines if line.mark_flagged)

    @property
    def drafts(self) -> int:
        return sum(1 for line in self.lines if line.status == STATUS_DRAFT)


@dataclass(frozen=True, slots=True)
class RemarkSaved:
    """The remark as stored (unchanged text: nothing was written)."""

    class_id: int
    learner_id: int
    on: dt.date
    text: str
    author: str | None
    updated_at: dt.datetime | None
    written: bool


class ConseilService:
    """The conseil de classe view, its remarks and its exports; one snapshot per read."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @property
    def actor(self) -> Actor:
        return self._actor

    @reads_database
    def view(self, class_id: int, on: dt.date, *, include_drafts: bool = False) -> ConseilView:
        """Every learner of the class on the day of the conseil (see the module docstring)."""
        require_all(self._actor, Action.VIEW_CONSEIL)
        on = _checked_day(on)
        with self._database.snapshot() as connection:
            return _build_view(connection, class_id, on, include_drafts)

    def save_remark(
        self,
        class_id: int,
        learner_id: int,
        on: dt.date,
        text: str,
        *,
        seen: str | None = None,
    ) -> RemarkSaved:
        """Store the learner's remark for that conseil (empty is allowed), audited.

        `seen` is the remark as the caller showed it: when someone else changed it
        since, nothing is written and a ConflictError says so (nothing silently lost).
        """
        require_all(self._actor, Action.WRITE_CONSEIL_REMARK)
        on = _checked_day(on)
        cleaned = clean_remark(text)
        try:
            with self._database.transaction() as session:
                return self._save_remark(session, class_id, learner_id, on, cleaned, seen)
        except ConflictError:
            raise
        except DBAPIError as exc:
            if isinstance(exc, IntegrityError) or (
                isinstance(exc, OperationalError) and "locked" in str(exc.orig)
            ):
                raise ConflictError(
                    "La remarque vient d'être enregistrée sur un autre poste, ou la base est "
                    "occupée : rechargez la vue puis recommencez."
                ) from None
            raise

    def _save_remark(
        self,
        session: Session,
        class_id: int,
        learner_id: int,
        on: dt.date,
        text: str,
        seen: str | None,
    ) -> RemarkSaved:
        klass, year = models.SchoolClass, models.SchoolYear
        learner, enrolment = models.Learner, models.Enrolment
        head = session.execute(
            select(klass.code, year.label)
            .join(year, year.id == klass.school_year_id)
            .where(klass.id == class_id)
        ).first()
        if head is None:
            raise NotFound(f"Classe introuvable (n° {class_id}).")
        person = session.execute(
            select(learner.family_name, learner.first_name)
            .join(enrolment, enrolment.learner_id == learner.id)
            .where(learner.id == learner_id, enrolment.class_id == class_id)
        ).first()
        if person is None:
            raise NotFound(f"Cet apprenant n'est pas inscrit dans la classe {head.code}.")
        remark = models.ConseilRemark
        stored = session.execute(
            select(remark)
            .where(
                remark.class_id == class_id,
                remark.learner_id == learner_id,
                remark.conseil_date == on,
            )
            .with_for_update()
        ).scalar_one_or_none()
        before = stored.text if stored is not None else ""
        if seen is not None and clean_remark(seen) != before:
            raise ConflictError(
                f"La remarque sur {person.family_name.upper()} {person.first_name} vient "
                f"d'être modifiée sur un autre poste (« {before} ») : rechargez la vue."
            )
        if text == before:
            author = _author_name(session, stored.author_id) if stored is not None else None
            return RemarkSaved(
                class_id,
                learner_id,
                on,
                before,
                author,
                stored.updated_at if stored is not None else None,
                written=False,
            )
        now = dt.datetime.now()
        if stored is None:
            stored = models.ConseilRemark(
                class_id=class_id,
                learner_id=learner_id,
                conseil_date=on,
                text=text,
                author_id=self._actor.user_id,
                updated_at=now,
            )
            session.add(stored)
        else:
            stored.text = text
            stored.author_id = self._actor.user_id
            stored.updated_at = now
        session.flush()
        audit.record(
            session,
            self._actor,
            REMARK_ACTION,
            "learner",
            learner_id,
            f"{person.family_name.upper()} {person.first_name}, classe {head.code} "
            f"({head.label}), conseil du {french_date(on)} : {_quoted(before)} → {_quoted(text)}",
            at=now,
        )
        note_change(
            session,
            self._database,
            self._actor,
            CHANGE_KIND,
            learner_ids=[learner_id],
            class_ids=[class_id],
        )
        return RemarkSaved(
            class_id, learner_id, on, text, self._actor.display_name, now, written=True
        )

    # -- exports -----------------------------------------------------------------------

    def export_pdf(
        self, class_id: int, on: dt.date, path: Path, *, include_drafts: bool = False
    ) -> Path:
        """The meeting's PDF: one landscape table, the flagged marks marked, page numbers."""
        from livret.reports.conseil_pdf import render_conseil_pdf

        view = self.view(class_id, on, include_drafts=include_drafts)
        target = Path(path)
        if target.suffix.casefold() != ".pdf":
            raise ValidationError(
                f"Format de fichier non pris en charge : « {target.name} » (choisir un .pdf)."
            )
        _write_bytes(target, render_conseil_pdf(conseil_document(view)))
        return target

    def export_table(
        self, class_id: int, on: dt.date, path: Path, *, include_drafts: bool = False
    ) -> Path:
        """The same table as CSV (for Excel in French) or XLSX, chosen by the suffix."""
        from livret.exchange.marks_export import write_marks_csv, write_marks_xlsx

        target = Path(path)
        suffix = target.suffix.casefold()
        if suffix not in TABLE_SUFFIXES:
            raise ValidationError(
                f"Format de fichier non pris en charge : « {target.name} » "
                "(choisir un fichier .csv ou .xlsx)."
            )
        view = self.view(class_id, on, include_drafts=include_drafts)
        header, rows = table_rows(view)
        if suffix == ".csv":
            write_marks_csv(target, header, rows)
        else:
            write_marks_xlsx(target, header, rows, sheet_title=f"Conseil du {on:%d-%m-%Y}")
        return target


def table_rows(view: ConseilView) -> tuple[tuple[str, ...], list[Sequence[Cell]]]:
    """The header and rows of the CSV/XLSX: one row per learner, one column per CC."""
    codes = tuple(cc.code for cc in view.common_competencies)
    header = (
        "INE",
        "nom",
        "prénom",
        "classe",
        "conseil du",
        "date du bilan",
        "statut",
        "motif",
        "note",
        "note à vérifier",
        "nombre de NE",
        "bilan précédent",
        *codes,
        "remarque",
    )
    rows: list[Sequence[Cell]] = []
    for line in view.lines:
        rows.append(
            (
                line.learner.ine,
                line.learner.family_name,
                line.learner.first_name,
                view.class_code,
                view.on,
                line.bilan_date,
                line.status_label,
                line.reason or line.mark_note,
                line.mark,
                "oui" if line.mark_flagged else "",
                line.ne_count,
                line.previous_date,
                *(TREND_WORDS[change] for change in line.trends),
                line.remark,
            )
        )
    return header, rows


def conseil_document(view: ConseilView) -> ConseilDocument:
    """What the PDF prints, formatted the French way (« 13,5 », JJ/MM/AAAA)."""
    from livret.reports.conseil_pdf import ConseilDocument, ConseilDocumentRow

    rows = []
    for line in view.lines:
        if line.status == STATUS_NONE:
            status = line.reason or "aucun bilan"
        elif line.mark_note:
            status = f"{line.status_label} ({line.mark_note})"
        else:
            status = line.status_label
        rows.append(
            ConseilDocumentRow(
                name=line.learner.display_name
                + (" (sorti)" if line.learner.left_on is not None else ""),
                bilan_date=french_date(line.bilan_date) if line.bilan_date else "",
                status=status,
                mark=french_mark(line.mark),
                flagged=line.mark_flagged,
                ne_count="" if line.ne_count is None else str(line.ne_count),
                trends=tuple(change.value for change in line.trends),
                remark=line.remark,
                draft=line.status == STATUS_DRAFT,
                without_bilan=line.status == STATUS_NONE,
            )
        )
    people = len(view.lines)
    class_line = f"{view.class_code} — {view.class_label} ({view.school_year_label}) · "
    class_line += f"{people} apprenant{'s' if people > 1 else ''}"
    if view.without_bilan:
        class_line += f" · {view.without_bilan} sans bilan"
    return ConseilDocument(
        establishment=view.establishment,
        title=f"Conseil de classe du {french_date(view.on)}",
        class_line=class_line,
        codes=tuple(cc.code for cc in view.common_competencies),
        rows=tuple(rows),
        legend=TREND_LEGEND,
        flag_note=FLAG_NOTE,
        generated=dt.datetime.now(),
        footer=f"Conseil de classe du {french_date(view.on)} — {view.class_code} "
        f"({view.school_year_label})",
    )


def french_mark(value: Decimal | None) -> str:
    """« 13,5 », « 14 », or empty."""
    return "" if value is None else format(value, "f").replace(".", ",")


# -- reading ---------------------------------------------------------------------------


def _quoted(remark: str) -> str:
    return f"« {remark} »" if remark else "(vide)"


def _checked_day(on: object) -> dt.date:
    if isinstance(on, dt.datetime) or not isinstance(on, dt.date):
        raise ValidationError("Indiquez la date du conseil de classe.")
    return on


def _build_view(
    connection: Connection, class_id: int, on: dt.date, include_drafts: bool
) -> ConseilView:
    """Nine queries whatever the size of the class."""
    klass, year = models.SchoolClass, models.SchoolYear
    head = connection.execute(
        select(klass.code, klass.label, year.label)
        .join(year, year.id == klass.school_year_id)
        .where(klass.id == class_id)
    ).first()
    if head is None:
        raise NotFound(f"Classe introuvable (n° {class_id}).")
    class_code, class_label, year_label = head

    choices = class_choices(connection, class_id, on, include_drafts=include_drafts)
    settings = _mark_settings(connection)
    cc = models.CommonCompetency
    ccs = tuple(
        CommonCompetencyInfo(*row)
        for row in connection.execute(
            select(cc.id, cc.code, cc.title, cc.group_code, cc.group_label).order_by(
                cc.referentiel_id, cc.position
            )
        )
    )

    bilan, enrolment = models.Bilan, models.Enrolment
    members = select(enrolment.learner_id).where(enrolment.class_id == class_id)
    finals: dict[int, list[BilanHead]] = {}
    for bilan_id, learner_id, bilan_date in connection.execute(
        select(bilan.id, bilan.learner_id, bilan.bilan_date).where(
            bilan.status == STATUS_FINAL, bilan.learner_id.in_(members)
        )
    ):
        finals.setdefault(learner_id, []).append(BilanHead(bilan_id, bilan_date, STATUS_FINAL))

    previous: dict[int, BilanHead] = {}
    for item in choices:
        chosen = item.choice
        if chosen.bilan_id is None or chosen.bilan_date is None:
            continue
        before = _previous_final(
            finals.get(item.learner.id, ()), chosen.bilan_id, chosen.bilan_date, chosen.is_draft
        )
        if before is not None:
            previous[item.learner.id] = before

    wanted = [c.choice.bilan_id for c in choices if c.choice.bilan_id is not None]
    wanted += [head.bilan_id for head in previous.values()]
    levels = _positionings(connection, wanted)
    remarks = _remarks(connection, class_id, on)

    lines = []
    for item in choices:
        learner, chosen = item.learner, item.choice
        remark = remarks.get(learner.id, ("", None, None))
        if chosen.bilan_id is None:
            lines.append(
                ConseilLine(
                    learner,
                    None,
                    None,
                    STATUS_NONE,
                    chosen.reason,
                    None,
                    False,
                    "",
                    None,
                    0,
                    None,
                    (),
                    (),
                    (),
                    *remark,
                )
            )
            continue
        now = levels.get(chosen.bilan_id, {})
        current = tuple(now.get(c.id, Level.NE) for c in ccs)
        before_head = previous.get(learner.id)
        then = levels.get(before_head.bilan_id, {}) if before_head is not None else None
        earlier = tuple(then.get(c.id, Level.NE) if then is not None else None for c in ccs)
        result = compute_mark(
            {c.code: level for c, level in zip(ccs, current, strict=True)}, settings
        )
        mark, note = result.value, ""
        flagged = False
        if chosen.is_draft:
            mark, note = None, NO_MARK_ON_DRAFT
        elif mark is None:
            note = ALL_NE if result.counted == 0 else NO_WEIGHT
        else:
            mark = _shown(mark, settings.rounding)
            flagged = is_flagged(result.counted, len(ccs), settings.min_share)
        lines.append(
            ConseilLine(
                learner,
                chosen.bilan_id,
                chosen.bilan_date,
                STATUS_DRAFT if chosen.is_draft else STATUS_FINAL,
                "",
                mark,
                flagged,
                note,
                result.ne_count,
                result.counted,
                before_head.bilan_date if before_head is not None else None,
                tuple(level.value for level in current),
                tuple(level.value if level is not None else None for level in earlier),
                tuple(trend(old, new) for old, new in zip(earlier, current, strict=True)),
                *remark,
            )
        )
    return ConseilView(
        class_id,
        class_code,
        class_label,
        year_label,
        on,
        include_drafts,
        ccs,
        settings,
        tuple(lines),
        connection.scalar(select(models.Establishment.name).order_by(models.Establishment.id))
        or "",
    )


def _previous_final(
    finals: Iterable[BilanHead], bilan_id: int, bilan_date: dt.date, is_draft: bool
) -> BilanHead | None:
    """The final bilan just before the one shown (by date, then id; for a draft, on or
    before its date: a draft is never older than the final bilans the rule passed over)."""
    if is_draft:
        earlier = [h for h in finals if h.bilan_date <= bilan_date]
    else:
        earlier = [h for h in finals if (h.bilan_date, h.bilan_id) < (bilan_date, bilan_id)]
    return max(earlier, key=lambda h: (h.bilan_date, h.bilan_id), default=None)


def _positionings(connection: Connection, bilan_ids: list[int]) -> dict[int, dict[int, Level]]:
    if not bilan_ids:
        return {}
    positioning = models.Positioning
    found: dict[int, dict[int, Level]] = {}
    for bilan_id, cc_id, level in connection.execute(
        select(positioning.bilan_id, positioning.common_competency_id, positioning.level).where(
            positioning.bilan_id.in_(sorted(set(bilan_ids)))
        )
    ):
        found.setdefault(bilan_id, {})[cc_id] = parse_level(level)
    return found


def _remarks(
    connection: Connection, class_id: int, on: dt.date
) -> dict[int, tuple[str, str | None, dt.datetime | None]]:
    remark, user = models.ConseilRemark, models.User
    return {
        learner_id: (text, author, updated_at)
        for learner_id, text, author, updated_at in connection.execute(
            select(remark.learner_id, remark.text, user.display_name, remark.updated_at)
            .outerjoin(user, user.id == remark.author_id)
            .where(remark.class_id == class_id, remark.conseil_date == on)
        )
    }


def _author_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(select(models.User.display_name).where(models.User.id == user_id))


def _mark_settings(connection: Connection) -> MarkSettings:
    from livret.services.marks import read_mark_settings

    return read_mark_settings(connection)


def _shown(value: Decimal, rounding: Decimal) -> Decimal:
    return value.quantize(Decimal(1) if rounding == 1 else Decimal("0.1"))


# -- writing ---------------------------------------------------------------------------


def _write_bytes(target: Path, data: bytes) -> None:
    """Through a temporary file in the same folder, renamed over `target` (owner-only)."""
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.stem[:40]}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise ValidationError(
            f"Impossible d'écrire « {target} » : {exc.strerror or exc}."
        ) from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
