"""Noter le dernier bilan: each learner's mark out of 20, previewed, saved and exported.

For every learner of a class and the day of a conseil de classe (default: today), the
mark comes from the bilan the one rule chooses (livret.domain.bilan_choice): their
latest final bilan dated on or before that day, whatever the class or school year it
was written in — never a draft. The class PDF uses the same rule, so both agree on
every learner. The preview and the export show the bilan's date. A CC without a
positioning counts as NE. A learner without such a bilan is listed with the rule's
reason, never given a 0; a bilan with every CC NE gives no mark either. A mark
computed on fewer than a share of the CCs (setting, default half) is flagged.

Settings live in the `setting` table: "marks.rounding" (JSON text "0.1", "0.5" or
"1"), "marks.weights" (JSON object {"CC1.1": 2, …}; a CC left out weighs 1) and
"marks.min_share" (JSON text "0.5": flag a mark computed on fewer than half the CCs).

The `mark` table is not guarded by the final-bilan triggers: a mark is stored with
a final bilan (one row per bilan, replaced when saved again), not in it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from livret.domain.bilan_choice import french_date
from livret.domain.errors import (
    ConflictError,
    DatabaseError,
    NotFound,
    ValidationError,
)
from livret.domain.levels import Level, parse_level
from livret.domain.marks import (
    MarkSettings,
    Weight,
    compute_mark,
    coverage_text,
    is_flagged,
    percent_text,
)
from livret.domain.permissions import Action, require_all
from livret.domain.roles import Actor
from livret.exchange.marks_export import Cell, write_marks_csv, write_marks_xlsx
from livret.services.bilan_choice import class_choices
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.services.dto import LearnerSummary
from livret.storage import models

ROUNDING_KEY = "marks.rounding"
WEIGHTS_KEY = "marks.weights"
MIN_SHARE_KEY = "marks.min_share"
SETTINGS_ACTION = "mark_settings_changed"
SAVED_ACTION = "marks_saved"

ALL_NE = "Tout est NE : pas de note"
NO_WEIGHT = "Coefficients tous nuls : pas de note"
"""Every positioned CC weighs 0: nothing counts, so no mark (never a 0)."""

EXPORT_HEADER: tuple[str, ...] = (
    "INE",
    "nom",
    "prénom",
    "classe",
    "note",
    "date du bilan",
    "nombre de NE",
    "CC positionnées",
    "alerte",
    "remarque",
)
EXPORT_SUFFIXES = (".csv", ".xlsx")

_Executor = Session | Connection


@dataclass(frozen=True, slots=True)
class StoredMark:
    """The mark saved with a bilan and the rounding it was computed with."""

    value: Decimal
    """Shown with the decimals of its rounding step (14 at step 1, 13.5 at 0.5)."""
    rounding: Decimal
    ne_count: int
    computed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class MarkLine:
    """One learner of the preview."""

    learner: LearnerSummary
    bilan_id: int | None
    """The final bilan the rule chose for the conseil's day; None when there is none."""
    bilan_date: dt.date | None
    value: Decimal | None
    """The mark computed now with the preview's settings; None: no final bilan, or no CC counts."""
    ne_count: int
    """CCs that are NE (or not positioned) in that bilan; 0 without a bilan."""
    counted: int
    """CCs positioned 1–4 in that bilan."""
    stored: StoredMark | None
    """The mark already saved for that bilan, if any."""
    status: str
    """French, "" for a mark: without a bilan the rule's reason (« aucun bilan définitif au
    01/12/2025 (le premier est du 12/12/2025) », « seulement un brouillon (du …) … »),
    else « Tout est NE : pas de note » or « Coefficients tous nuls : pas de note »."""
    total: int
    """CCs of the référentiel (13 for PMIA): `counted` of `total` were positioned."""
    flagged: bool
    """A mark computed on fewer than the settings' min_share of the CCs (2 of 13)."""

    @property
    def has_final_bilan(self) -> bool:
        return self.bilan_id is not None

    @property
    def coverage(self) -> str:
        """« Calculée sur 2 CC sur 13 » (empty without a mark)."""
        return coverage_text(self.counted, self.total) if self.value is not None else ""

    @property
    def alert(self) -> str:
        """The coverage of a flagged mark, "" otherwise: the export's « alerte » column."""
        return self.coverage if self.flagged else ""

    @property
    def stored_differs(self) -> bool:
        """A saved mark that the current settings would change (saving again replaces it)."""
        return self.stored is not None and self.stored.value != self.value

    @property
    def exported_value(self) -> Decimal | None:
        """What the export writes: the saved mark, else the computed one."""
        return self.stored.value if self.stored is not None else self.value

    @property
    def exported_ne_count(self) -> int | None:
        if self.stored is not None:
            return self.stored.ne_count
        return self.ne_count if self.bilan_id is not None else None


@dataclass(frozen=True, slots=True)
class MarkPreview:
    """The marks of a class, one line per learner in French alphabetical order."""

    class_id: int
    class_code: str
    class_label: str
    school_year_label: str
    settings: MarkSettings
    lines: tuple[MarkLine, ...]
    on: dt.date
    """The day of the conseil: each line's bilan is the latest final one on or before it."""

    @property
    def flagged(self) -> int:
        """Marks computed on fewer than the settings' share of the CCs."""
        return sum(1 for line in self.lines if line.flagged)

    @property
    def marked(self) -> int:
        """Learners with a computed mark."""
        return sum(1 for line in self.lines if line.value is not None)

    @property
    def without_final_bilan(self) -> int:
        return sum(1 for line in self.lines if line.bilan_id is None)

    @property
    def without_mark(self) -> int:
        """Learners with a final bilan but no mark (every CC NE, or weighing 0)."""
        return sum(1 for line in self.lines if line.bilan_id is not None and line.value is None)

    @property
    def stored_count(self) -> int:
        """Learners whose latest final bilan already has a saved mark."""
        return sum(1 for line in self.lines if line.stored is not None)

    @property
    def stored_differing(self) -> int:
        return sum(1 for line in self.lines if line.stored_differs)


@dataclass(frozen=True, slots=True)
class MarkExport:
    """What export wrote."""

    path: Path
    preview: MarkPreview
    rows: int
    """Learners written (all of the class, marked or not)."""
    from_stored: int
    """Marks written as saved with the bilans."""
    from_preview: int
    """Marks written as computed now, not saved yet."""


class MarkService:
    """Marks of a class; each public method is one transaction or one snapshot."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    # -- settings --------------------------------------------------------------------

    def settings(self) -> MarkSettings:
        """The establishment's rounding step, CC weights and alert share (0.1, 1, half)."""
        require_all(self._actor, Action.VIEW_MARKS)
        with self._database.snapshot() as connection:
            return read_mark_settings(connection)

    def save_settings(self, settings: MarkSettings) -> MarkSettings:
        """Store the rounding and weights; teachers and the DDFPT only, audited."""
        require_all(self._actor, Action.SAVE_MARKS)
        if not isinstance(settings, MarkSettings):
            raise ValidationError("Réglages des notes invalides.")
        try:
            with self._database.transaction() as session:
                return self._save_settings(session, settings)
        except (IntegrityError, OperationalError) as exc:
            conflict = _conflict(exc, "Les réglages des notes")
            if conflict is None:
                raise
            raise conflict from None

    def _save_settings(self, session: Session, settings: MarkSettings) -> MarkSettings:
        codes = _cc_codes(session)
        unknown = sorted(code for code in settings.weights if code not in codes)
        if unknown:
            raise ValidationError(
                "Compétence commune inconnue dans les coefficients : " + ", ".join(unknown) + "."
            )
        if codes and all(settings.weight_of(code) == 0 for code in codes):
            raise ValidationError(
                "Toutes les compétences communes ont un coefficient nul : "
                "aucune note ne pourrait être calculée."
            )
        try:
            before_text = _settings_text(read_mark_settings(session))
        except ValidationError:
            before_text = "illisibles"  # saving good settings repairs them
        _upsert(
            session,
            _table("setting"),
            [
                {"key": ROUNDING_KEY, "value": json.dumps(str(settings.rounding))},
                {"key": WEIGHTS_KEY, "value": weights_json(settings.weights)},
                {"key": MIN_SHARE_KEY, "value": json.dumps(str(settings.min_share))},
            ],
            key="key",
        )
        _audit(
            session,
            self._actor,
            SETTINGS_ACTION,
            "setting",
            None,
            f"{before_text} → {_settings_text(settings)}",
        )
        return read_mark_settings(session)

    # -- classes ---------------------------------------------------------------------

    def class_id(self, code: str, year: str | None = None) -> int:
        """The class with that code in the most recent school year holding it (or in `year`)."""
        require_all(self._actor, Action.VIEW_MARKS)
        wanted = code.strip()
        if not wanted:
            raise ValidationError("Indiquez le code de la classe.")
        cls, school_year = models.SchoolClass, models.SchoolYear
        with self._database.snapshot() as connection:
            rows = connection.execute(
                select(cls.id, cls.code, school_year.label)
                .join(school_year, school_year.id == cls.school_year_id)
                .order_by(school_year.start_date.desc(), cls.id)
            ).all()
        if year is not None:
            year = year.strip()
            if all(label != year for _, _, label in rows):
                raise NotFound(f"Année scolaire « {year} » introuvable.")
            rows = [row for row in rows if row.label == year]
        matches = [row for row in rows if row.code == wanted] or [
            row for row in rows if row.code.casefold() == wanted.casefold()
        ]
        if not matches:
            where = f" en {year}" if year is not None else ""
            raise NotFound(f"Classe « {wanted} » introuvable{where}.")
        return int(matches[0].id)

    # -- preview, save, export -------------------------------------------------------

    def preview(
        self, class_id: int, settings: MarkSettings | None = None, *, on: dt.date | None = None
    ) -> MarkPreview:
        """Each learner's mark from their latest final bilan on or before `on` (default:
        today), with `settings` (default: the stored ones)."""
        require_all(self._actor, Action.VIEW_MARKS)
        day = _day(on)
        with self._database.snapshot() as connection:
            return _build_preview(connection, class_id, settings, day)

    def save(
        self, class_id: int, settings: MarkSettings | None = None, *, on: dt.date | None = None
    ) -> MarkPreview:
        """Store every computed mark with its bilan, in one transaction, audited.

        Saving again replaces the marks of the bilans chosen for `on` (one row per
        bilan). A chosen bilan that now gives no mark loses any mark saved before.
        Returns the preview as stored.
        """
        require_all(self._actor, Action.SAVE_MARKS)
        day = _day(on)
        try:
            with self._database.transaction() as session:
                return self._save(session, class_id, settings, day)
        except (IntegrityError, OperationalError) as exc:
            conflict = _conflict(exc, "Les notes de cette classe")
            if conflict is None:
                raise
            raise conflict from None

    def _save(
        self, session: Session, class_id: int, settings: MarkSettings | None, on: dt.date
    ) -> MarkPreview:
        preview = _build_preview(session, class_id, settings, on)
        used = preview.settings
        now = dt.datetime.now()
        weights = weights_json(used.weights)
        rows = [
            {
                "bilan_id": line.bilan_id,
                "value": line.value,
                "rounding": used.rounding,
                "weights": weights,
                "ne_count": line.ne_count,
                "computed_at": now,
                "author_id": self._actor.user_id,
            }
            for line in preview.lines
            if line.bilan_id is not None and line.value is not None
        ]
        _upsert(session, _table("mark"), rows, key="bilan_id")
        stale = [
            line.bilan_id
            for line in preview.lines
            if line.bilan_id is not None and line.value is None and line.stored is not None
        ]
        if stale:
            session.execute(delete(models.Mark).where(models.Mark.bilan_id.in_(stale)))
        details = (
            f"classe {preview.class_code} ({preview.school_year_label}), "
            f"conseil du {french_date(on)} : "
            f"{_count(len(rows), 'note enregistrée', 'notes enregistrées')}, "
            f"arrondi {_french(used.rounding)}, coefficients {_weights_text(used.weights)}"
        )
        if preview.without_final_bilan:
            details += f", {preview.without_final_bilan} sans bilan définitif"
        if preview.without_mark:
            details += f", {preview.without_mark} sans note"
        if stale:
            details += f", {_count(len(stale), 'note retirée', 'notes retirées')}"
        _audit(session, self._actor, SAVED_ACTION, "school_class", class_id, details, at=now)
        learners = [line.learner.id for line in preview.lines]
        note_change(session, self._database, self._actor, "marks", learner_ids=learners)
        return _build_preview(session, class_id, used, on)

    def export(
        self,
        class_id: int,
        path: Path,
        settings: MarkSettings | None = None,
        *,
        on: dt.date | None = None,
    ) -> MarkExport:
        """Write the class's marks as CSV or XLSX, chosen by the file's suffix.

        Every learner of the class gets a row (empty note without a mark, never 0).
        The note written is the mark saved with the bilan when there is one (what
        Livret has recorded: call save first to record the current settings), else
        the mark computed now with `settings` (default: the stored settings). The
        bilans are those chosen for the conseil of `on` (default: today).
        """
        require_all(self._actor, Action.EXPORT_MARKS)
        target = Path(path)
        suffix = export_format(target)
        preview = self.preview(class_id, settings, on=on)
        rows = export_rows(preview)
        if suffix == ".csv":
            write_marks_csv(target, EXPORT_HEADER, rows)
        else:
            write_marks_xlsx(target, EXPORT_HEADER, rows)
        from_stored = sum(1 for line in preview.lines if line.stored is not None)
        from_preview = sum(
            1 for line in preview.lines if line.stored is None and line.value is not None
        )
        return MarkExport(target, preview, len(rows), from_stored, from_preview)


def export_format(path: Path) -> str:
    """ ".csv" or ".xlsx" from the file name; anything else is refused in French."""
    suffix = Path(path).suffix.casefold()
    if suffix not in EXPORT_SUFFIXES:
        raise ValidationError(
            f"Format de fichier non pris en charge : « {Path(path).name} » "
            "(choisir un fichier .csv ou .xlsx)."
        )
    return suffix


def export_rows(preview: MarkPreview) -> list[Sequence[Cell]]:
    """The rows of the export, in the order of EXPORT_HEADER."""
    return [
        (
            line.learner.ine,
            line.learner.family_name,
            line.learner.first_name,
            preview.class_code,
            line.exported_value,
            line.bilan_date,
            line.exported_ne_count,
            line.counted if line.bilan_id is not None else None,
            line.alert,
            line.status,
        )
        for line in preview.lines
    ]


def weights_json(weights: Mapping[str, Weight]) -> str:
    """{"CC1.1": 2, "CC2.1": 0.5}: sorted by code, each weight written exactly as given."""
    parts = [f"{json.dumps(code)}: {_number_text(weights[code])}" for code in sorted(weights)]
    return "{" + ", ".join(parts) + "}"


# -- reading ---------------------------------------------------------------------------


def read_mark_settings(executor: _Executor) -> MarkSettings:
    """The establishment's mark settings (rounding, weights, alert share), defaults filled."""
    setting = models.Setting
    stored: dict[str, str] = {
        key: value
        for key, value in executor.execute(
            select(setting.key, setting.value).where(
                setting.key.in_([ROUNDING_KEY, WEIGHTS_KEY, MIN_SHARE_KEY])
            )
        )
    }
    try:
        rounding = _loads(stored.get(ROUNDING_KEY), "0.1")
        weights = _loads(stored.get(WEIGHTS_KEY), {})
        min_share = _loads(stored.get(MIN_SHARE_KEY), "0.5")
        if not isinstance(weights, dict):
            raise ValidationError("les coefficients ne sont pas un objet JSON")
        return MarkSettings(rounding=rounding, weights=weights, min_share=min_share)
    except (ValueError, ValidationError) as exc:
        reason = exc.message if isinstance(exc, ValidationError) else "JSON illisible"
        raise ValidationError(f"Réglages des notes invalides dans la base : {reason}") from None


def _loads(text: str | None, default: Any) -> Any:
    if text is None:
        return default
    return json.loads(text, parse_float=Decimal)


def _cc_codes(executor: _Executor) -> list[str]:
    cc = models.CommonCompetency
    return list(executor.scalars(select(cc.code).order_by(cc.referentiel_id, cc.position)))


def _day(on: dt.date | None) -> dt.date:
    if on is None:
        return dt.date.today()
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise ValidationError("Date du conseil de classe invalide.")
    return on


def _build_preview(
    executor: _Executor, class_id: int, settings: MarkSettings | None, on: dt.date
) -> MarkPreview:
    """Seven queries whatever the size of the class (six when settings are given)."""
    cls, school_year = models.SchoolClass, models.SchoolYear
    head = executor.execute(
        select(cls.code, cls.label, school_year.label)
        .join(school_year, school_year.id == cls.school_year_id)
        .where(cls.id == class_id)
    ).first()
    if head is None:
        raise NotFound(f"Classe introuvable (n° {class_id}).")
    class_code, class_label, year_label = head
    used = settings if settings is not None else read_mark_settings(executor)

    # The one rule, with the class PDF and the conseil de classe: never a draft for a mark.
    choices = class_choices(executor, class_id, on, include_drafts=False)
    chosen = sorted({c.choice.bilan_id for c in choices if c.choice.bilan_id is not None})
    mark = models.Mark
    stored_marks: dict[int, StoredMark] = {}
    positioned: dict[int, dict[str, Level]] = {}
    if chosen:
        for marked_id, stored_value, rounding, ne_count, computed_at in executor.execute(
            select(mark.bilan_id, mark.value, mark.rounding, mark.ne_count, mark.computed_at).where(
                mark.bilan_id.in_(chosen)
            )
        ):
            step = Decimal(rounding)
            stored_marks[marked_id] = StoredMark(
                _shown(Decimal(stored_value), step), step, ne_count, computed_at
            )
        positioning, cc = models.Positioning, models.CommonCompetency
        for bilan_id, code, level in executor.execute(
            select(positioning.bilan_id, cc.code, positioning.level)
            .join(cc, cc.id == positioning.common_competency_id)
            .where(positioning.bilan_id.in_(chosen))
        ):
            positioned.setdefault(bilan_id, {})[code] = parse_level(level)
    all_codes = _cc_codes(executor)
    total = len(all_codes)

    lines: list[MarkLine] = []
    for item in choices:  # in the rule's French alphabetical order
        chosen_id, bilan_date = item.choice.bilan_id, item.choice.bilan_date
        if chosen_id is None:
            lines.append(
                MarkLine(
                    item.learner, None, None, None, 0, 0, None, item.choice.reason, total, False
                )
            )
            continue
        levels = dict.fromkeys(all_codes, Level.NE)
        levels.update(positioned.get(chosen_id, {}))
        result = compute_mark(levels, used)
        status = ""
        if result.value is None:
            status = ALL_NE if result.counted == 0 else NO_WEIGHT
        value = None if result.value is None else _shown(result.value, used.rounding)
        lines.append(
            MarkLine(
                item.learner,
                chosen_id,
                bilan_date,
                value,
                result.ne_count,
                result.counted,
                stored_marks.get(chosen_id),
                status,
                total,
                value is not None and is_flagged(result.counted, total, used.min_share),
            )
        )
    return MarkPreview(class_id, class_code, class_label, year_label, used, tuple(lines), on)


# -- writing ---------------------------------------------------------------------------


def _table(name: str) -> Table:
    return models.Base.metadata.tables[name]


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]], *, key: str) -> None:
    """Insert the rows, or update the ones whose `key` exists (one statement, both back-ends)."""
    if not rows:
        return
    columns = [name for name in rows[0] if name != key]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_statement = postgresql.insert(table)
        session.execute(
            pg_statement.on_conflict_do_update(
                index_elements=[key],
                set_={name: pg_statement.excluded[name] for name in columns},
            ),
            rows,
        )
    elif dialect == "sqlite":
        lite_statement = sqlite.insert(table)
        session.execute(
            lite_statement.on_conflict_do_update(
                index_elements=[key],
                set_={name: lite_statement.excluded[name] for name in columns},
            ),
            rows,
        )
    else:
        raise DatabaseError(f"Base de données non prise en charge : {dialect}.")


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    details: str,
    *,
    at: dt.datetime | None = None,
) -> None:
    # Local time from Python, like the bilans' timestamps (SQLite's CURRENT_TIMESTAMP is UTC).
    session.execute(
        insert(models.AuditEvent).values(
            at=at if at is not None else dt.datetime.now(),
            user_id=actor.user_id,
            actor=actor.display_name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=details,
        )
    )


def _conflict(exc: IntegrityError | OperationalError, what: str) -> ConflictError | None:
    """A French conflict for a concurrent write; None for any other database failure."""
    if isinstance(exc, IntegrityError):
        return ConflictError(f"{what} viennent d'être modifiés sur un autre poste : recommencez.")
    if "locked" in str(exc.orig):
        # SQLite: another connection holds the write lock longer than the busy timeout.
        return ConflictError(
            f"{what} n'ont pas pu être enregistrés : la base est occupée, recommencez."
        )
    return None


# -- formatting ------------------------------------------------------------------------


def _shown(value: Decimal, rounding: Decimal) -> Decimal:
    """The mark with the decimals of its step: 14 at step 1, 14.0 and 13.5 at 0.5 or 0.1."""
    return value.quantize(Decimal(1) if rounding == 1 else Decimal("0.1"))


def _french(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def _number_text(weight: Weight) -> str:
    if isinstance(weight, float):
        return repr(weight)
    return str(weight)


def _settings_text(settings: MarkSettings) -> str:
    return (
        f"arrondi {_french(settings.rounding)}, coefficients {_weights_text(settings.weights)}, "
        f"alerte sous {percent_text(settings.min_share)} des CC"
    )


def _weights_text(weights: Mapping[str, Weight]) -> str:
    if not weights:
        return "tous à 1"
    return ", ".join(
        f"{code} × {_number_text(weights[code]).replace('.', ',')}" for code in sorted(weights)
    )


def _count(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count < 2 else plural}"
