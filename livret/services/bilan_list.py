"""Every bilan of the establishment, for the Bilans module's list (one query)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import false, select
from sqlalchemy.orm import aliased

from livret.domain.permissions import Access, Action, require
from livret.domain.roles import Actor
from livret.services.database import Database
from livret.services.database_errors import reads_database
from livret.services.dto import display_name
from livret.storage import models


@dataclass(frozen=True, slots=True)
class BilanListItem:
    bilan_id: int
    learner_id: int
    learner_name: str
    ine: str
    class_code: str | None
    school_year_label: str | None
    bilan_date: dt.date
    status: str
    author: str | None
    author_id: int | None
    mark: Decimal | None

    @property
    def status_label(self) -> str:
        return "Définitif" if self.status == "final" else "Brouillon"


_learner, _class, _year = models.Learner, models.SchoolClass, models.SchoolYear
_bilan, _author, _mark = models.Bilan, aliased(models.User), models.Mark
_QUERY = (
    select(
        _bilan.id,
        _learner.id,
        _learner.family_name,
        _learner.first_name,
        _learner.ine,
        _class.code,
        _year.label,
        _bilan.bilan_date,
        _bilan.status,
        _author.display_name,
        _bilan.author_id,
        _mark.value,
    )
    .join(_learner, _learner.id == _bilan.learner_id)
    .outerjoin(_class, _class.id == _bilan.class_id)
    .outerjoin(_year, _year.id == _class.school_year_id)
    .outerjoin(_author, _author.id == _bilan.author_id)
    .outerjoin(_mark, _mark.bilan_id == _bilan.id)
    .order_by(_bilan.bilan_date.desc(), _bilan.id.desc())
)


class BilanListService:
    """The list behind the Bilans module; filtering happens in the view (a few hundred rows)."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @reads_database
    def list_bilans(self) -> tuple[BilanListItem, ...]:
        """All bilans, most recent first; an Apprenant's own final bilans only."""
        query = _QUERY
        if require(self._actor, Action.LIST_BILANS) is Access.OWN:
            own = self._actor.learner_id
            query = query.where(
                _bilan.learner_id == own if own is not None else false(),
                _bilan.status == "final",
            )
        with self._database.snapshot() as connection:
            rows = connection.execute(query).all()
        return tuple(
            BilanListItem(
                bilan_id=row[0],
                learner_id=row[1],
                learner_name=display_name(row[2], row[3]),
                ine=row[4],
                class_code=row[5],
                school_year_label=row[6],
                bilan_date=row[7],
                status=row[8],
                author=row[9],
                author_id=row[10],
                mark=row[11],
            )
            for row in rows
        )
