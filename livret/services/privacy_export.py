"""The RGPD export of one learner: every row about them as JSON, and a zip holding it with
the PDF of each of their bilans, written owner-only (the data are about minors)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from livret.domain.errors import LivretError, ValidationError
from livret.services.privacy_records import Identity, events_about
from livret.storage import models

FORMAT_NAME = "livret-donnees-apprenant"
FORMAT_VERSION = 1
JSON_NAME = "donnees.json"
README_NAME = "LISEZMOI.txt"
PRIVATE_FILE = 0o600

README_TEXT = """Données personnelles d'un apprenant (export RGPD, droit d'accès)

{json_name} : tout ce que la base Livret contient sur l'apprenant, au format JSON
(UTF-8) : identité, inscriptions et classes, résultats d'évaluations (avec le titre,
la date et le critère de chaque évaluation), bilans intermédiaires avec leurs
positionnements, notes sur 20, remarques des conseils de classe, saisies de la
synthèse LSL Pro (appréciations, degrés de maîtrise, périodes de PFMP), compte de
connexion (jamais le mot de passe, qui n'est conservé que sous une forme chiffrée
irréversible) et événements du journal qui le concernent.

bilans/ : le PDF de chaque bilan, brouillons compris (marqués « Brouillon »).

Ces données concernent un mineur : conservez ce fichier en lieu sûr et détruisez-le
après l'avoir remis à l'intéressé ou à ses responsables légaux.
"""


class PrivacyExportError(LivretError):
    """The zip could not be written (folder missing, file already there, disk full…)."""


def learner_record(
    connection: Connection,
    identity: Identity,
    *,
    establishment: str,
    exported_at: dt.datetime,
    exported_by: str,
    pdf_names: dict[int, str],
) -> dict[str, Any]:
    """Every row about the learner, as plain JSON values (read in the caller's snapshot)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": _value(exported_at),
        "exported_by": exported_by,
        "establishment": establishment,
        "learner": _learner(connection, identity),
        "enrolments": _enrolments(connection, identity),
        "results": _results(connection, identity),
        "bilans": _bilans(connection, identity, pdf_names),
        "marks": _marks(connection, identity),
        "conseil_remarks": _conseil_remarks(connection, identity),
        "lsl": _lsl(connection, identity),
        "account": _account(connection, identity),
        "audit_events": _events(connection, identity),
    }


def _value(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _dicts(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [{key: _value(value) for key, value in row._mapping.items()} for row in rows]


def _learner(connection: Connection, identity: Identity) -> dict[str, Any]:
    specialty = connection.execute(
        select(models.Specialty.code, models.Specialty.title).where(
            models.Specialty.id == identity.specialty_id
        )
    ).first()
    return {
        "id": identity.learner_id,
        "ine": identity.ine,
        "family_name": identity.family_name,
        "first_name": identity.first_name,
        "birth_date": _value(identity.birth_date),
        "specialty": specialty.code if specialty is not None else None,
        "specialty_title": specialty.title if specialty is not None else None,
        "left_on": _value(identity.left_on),
    }


def _enrolments(connection: Connection, identity: Identity) -> list[dict[str, Any]]:
    enrolment, klass, year = models.Enrolment, models.SchoolClass, models.SchoolYear
    rows = connection.execute(
        select(
            year.label.label("school_year"),
            klass.code.label("class_code"),
            klass.label.label("class_label"),
            klass.grade,
        )
        .select_from(enrolment)
        .join(klass, klass.id == enrolment.class_id)
        .join(year, year.id == enrolment.school_year_id)
        .where(enrolment.learner_id == identity.learner_id)
        .order_by(year.start_date)
    ).all()
    return _dicts(rows)


def _results(connection: Connection, identity: Identity) -> list[dict[str, Any]]:
    result, evaluation, criterion = models.Result, models.Evaluation, models.Criterion
    cc, author = models.CommonCompetency, aliased(models.User)
    rows = connection.execute(
        select(
            result.id,
            evaluation.id.label("evaluation_id"),
            evaluation.eval_date.label("evaluation_date"),
            evaluation.nature.label("evaluation_nature"),
            evaluation.title.label("evaluation_title"),
            evaluation.context.label("evaluation_context"),
            evaluation.company,
            evaluation.tutor,
            evaluation.pfmp_start,
            evaluation.pfmp_end,
            author.display_name.label("evaluation_author"),
            criterion.code.label("criterion_code"),
            criterion.text.label("criterion_text"),
            cc.code.label("common_competency"),
            result.level,
            result.comment,
        )
        .select_from(result)
        .join(evaluation, evaluation.id == result.evaluation_id)
        .join(criterion, criterion.id == result.criterion_id)
        .join(cc, cc.id == criterion.common_competency_id)
        .outerjoin(author, author.id == evaluation.author_id)
        .where(result.learner_id == identity.learner_id)
        .order_by(evaluation.eval_date, evaluation.id, criterion.code)
    ).all()
    return _dicts(rows)


def _bilans(
    connection: Connection, identity: Identity, pdf_names: dict[int, str]
) -> list[dict[str, Any]]:
    bilan, klass, year = models.Bilan, models.SchoolClass, models.SchoolYear
    author, finalizer = aliased(models.User), aliased(models.User)
    rows = connection.execute(
        select(
            bilan.id,
            bilan.status,
            bilan.bilan_date,
            klass.code.label("class_code"),
            year.label.label("school_year"),
            bilan.constats,
            bilan.conseils,
            author.display_name.label("author"),
            bilan.created_at,
            bilan.updated_at,
            bilan.finalized_at,
            finalizer.display_name.label("finalized_by"),
        )
        .select_from(bilan)
        .outerjoin(klass, klass.id == bilan.class_id)
        .outerjoin(year, year.id == klass.school_year_id)
        .outerjoin(author, author.id == bilan.author_id)
        .outerjoin(finalizer, finalizer.id == bilan.finalized_by_id)
        .where(bilan.learner_id == identity.learner_id)
        .order_by(bilan.bilan_date, bilan.id)
    ).all()
    positioning, cc = models.Positioning, models.CommonCompetency
    levels: dict[int, list[dict[str, Any]]] = {}
    for bilan_id, code, title, level in connection.execute(
        select(positioning.bilan_id, cc.code, cc.title, positioning.level)
        .select_from(positioning)
        .join(cc, cc.id == positioning.common_competency_id)
        .where(positioning.bilan_id.in_(list(identity.bilan_ids)))
        .order_by(positioning.bilan_id, cc.referentiel_id, cc.position)
    ):
        levels.setdefault(bilan_id, []).append(
            {"common_competency": code, "title": title, "level": level}
        )
    found = _dicts(rows)
    for item in found:
        item["positionings"] = levels.get(item["id"], [])
        item["pdf"] = pdf_names.get(item["id"])
    return found


def _marks(connection: Connection, identity: Identity) -> list[dict[str, Any]]:
    mark, bilan, author = models.Mark, models.Bilan, aliased(models.User)
    rows = connection.execute(
        select(
            mark.bilan_id,
            bilan.bilan_date,
            mark.value,
            mark.rounding,
            mark.weights,
            mark.ne_count,
            mark.computed_at,
            author.display_name.label("author"),
        )
        .select_from(mark)
        .join(bilan, bilan.id == mark.bilan_id)
        .outerjoin(author, author.id == mark.author_id)
        .where(bilan.learner_id == identity.learner_id)
        .order_by(bilan.bilan_date, bilan.id)
    ).all()
    found = _dicts(rows)
    for item in found:
        with contextlib.suppress(ValueError):  # else kept as stored
            item["weights"] = json.loads(item["weights"] or "{}")
    return found


def _conseil_remarks(connection: Connection, identity: Identity) -> list[dict[str, Any]]:
    remark, klass, author = models.ConseilRemark, models.SchoolClass, aliased(models.User)
    rows = connection.execute(
        select(
            klass.code.label("class_code"),
            remark.conseil_date,
            remark.text,
            author.display_name.label("author"),
            remark.updated_at,
        )
        .select_from(remark)
        .join(klass, klass.id == remark.class_id)
        .outerjoin(author, author.id == remark.author_id)
        .where(remark.learner_id == identity.learner_id)
        .order_by(remark.conseil_date, klass.code)
    ).all()
    return _dicts(rows)


def _lsl(connection: Connection, identity: Identity) -> dict[str, list[dict[str, Any]]]:
    """What teachers wrote or chose for the LSL Pro synthesis, school year by school year."""
    year, author = models.SchoolYear, aliased(models.User)
    appreciation, degree, fill = models.LslAppreciation, models.LslDegree, models.LslPfmpFill
    evaluation, competency = models.Evaluation, models.Competency
    learner_id = identity.learner_id
    appreciations = connection.execute(
        select(
            year.label.label("school_year"),
            appreciation.text,
            author.display_name.label("author"),
            appreciation.updated_at,
        )
        .join(year, year.id == appreciation.school_year_id)
        .outerjoin(author, author.id == appreciation.author_id)
        .where(appreciation.learner_id == learner_id)
        .order_by(year.start_date)
    ).all()
    degrees = connection.execute(
        select(
            year.label.label("school_year"),
            competency.code.label("competency"),
            degree.degree,
            author.display_name.label("author"),
            degree.updated_at,
        )
        .join(year, year.id == degree.school_year_id)
        .join(competency, competency.id == degree.competency_id)
        .outerjoin(author, author.id == degree.author_id)
        .where(degree.learner_id == learner_id)
        .order_by(year.start_date, competency.position, competency.code)
    ).all()
    fills = connection.execute(
        select(
            evaluation.title.label("evaluation"),
            evaluation.eval_date,
            fill.company,
            fill.tutor,
            fill.pfmp_start,
            fill.pfmp_end,
            author.display_name.label("author"),
            fill.updated_at,
        )
        .join(evaluation, evaluation.id == fill.evaluation_id)
        .outerjoin(author, author.id == fill.author_id)
        .where(fill.learner_id == learner_id)
        .order_by(evaluation.eval_date, evaluation.id)
    ).all()
    return {
        "appreciations": _dicts(appreciations),
        "degrees": _dicts(degrees),
        "pfmp": _dicts(fills),
    }


def _account(connection: Connection, identity: Identity) -> dict[str, Any] | None:
    if identity.account_id is None:
        return None
    user = models.User
    row = connection.execute(
        # Never the password hash: only whether there is a password.
        select(
            user.login,
            user.display_name,
            user.role,
            user.active,
            (user.password_hash.is_not(None)).label("has_password"),
            user.failed_logins,
            user.locked_until,
            user.last_login_at,
        ).where(user.id == identity.account_id)
    ).one()
    return _dicts([row])[0]


def _events(connection: Connection, identity: Identity) -> list[dict[str, Any]]:
    ids = events_about(connection, identity)
    if not ids:
        return []
    event = models.AuditEvent
    rows = connection.execute(
        select(event.at, event.actor, event.action, event.entity, event.details)
        .where(event.id.in_(ids))
        .order_by(event.at, event.id)
    ).all()
    return _dicts(rows)


# -- the zip ---------------------------------------------------------------------------


def zip_target(destination: Path) -> Path:
    """The file to write: `destination`, with .zip added when it lacks it; refused when it
    exists (an export never replaces a file) or when its folder does not."""
    target = destination if destination.suffix.lower() == ".zip" else Path(f"{destination}.zip")
    if target.exists():
        raise ValidationError(
            f"Le fichier « {target} » existe déjà : choisissez un autre nom "
            "(un export ne remplace jamais un fichier)."
        )
    if not target.parent.is_dir():
        raise PrivacyExportError(f"Le dossier « {target.parent} » n'existe pas.")
    return target


def write_zip(target: Path, files: Sequence[tuple[str, bytes]]) -> Path:
    """Write the zip owner-only (0600, its entries too) through a temporary file, then put it
    in place without ever replacing a file that appeared meanwhile."""
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.stem[:40]}.", suffix=".tmp", dir=target.parent
        )
        if os.name == "posix":
            os.fchmod(handle, PRIVATE_FILE)  # mkstemp makes it 0600 already: said twice
        with os.fdopen(handle, "wb") as stream:
            with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, data in files:
                    info = zipfile.ZipInfo(name, date_time=_now_tuple())
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = (stat.S_IFREG | PRIVATE_FILE) << 16
                    archive.writestr(info, data)
            stream.flush()
            os.fsync(stream.fileno())
        _place(temporary, target)
    except OSError as exc:
        raise PrivacyExportError(
            f"Impossible d'écrire « {target} » : {exc.strerror or exc}."
        ) from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
    return target


def _place(temporary: str, target: Path) -> None:
    """A hard link never replaces an existing file; without hard links (a FAT USB stick),
    the rename, after one more check."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise ValidationError(
            f"Le fichier « {target} » vient d'apparaître : rien n'a été remplacé."
        ) from None
    except OSError:
        if target.exists():
            raise ValidationError(
                f"Le fichier « {target} » vient d'apparaître : rien n'a été remplacé."
            ) from None
        os.replace(temporary, target)


def _now_tuple() -> tuple[int, int, int, int, int, int]:
    now = dt.datetime.now()
    return (max(now.year, 1980), now.month, now.day, now.hour, now.minute, now.second)


def json_bytes(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")


def readme_bytes() -> bytes:
    return README_TEXT.format(json_name=JSON_NAME).encode("utf-8")
