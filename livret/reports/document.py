"""What a bilan's PDF prints: a frozen DTO, built by livret.services.exports.

Kept apart from the renderer so that the services can name it without importing
reportlab (a third of a second at start-up); the renderer is imported on first export.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

DRAFT = "draft"
FINAL = "final"


@dataclass(frozen=True, slots=True)
class BilanDocumentRow:
    """One common competency: its code, title and levels (codes NE, 1–4)."""

    code: str
    title: str
    previous: str | None
    """Level in the previous final bilan; None when there is no previous bilan."""
    current: str


@dataclass(frozen=True, slots=True)
class BilanDocument:
    """Everything printed on a bilan's PDF."""

    establishment: str
    learner_name: str
    """'NOM Prénom'."""
    ine: str
    class_label: str | None
    school_year_label: str | None
    bilan_date: dt.date
    status: str
    """'draft' or 'final'."""
    author: str | None
    finalized_at: dt.datetime | None
    finalized_by: str | None
    previous_date: dt.date | None
    rows: tuple[BilanDocumentRow, ...]
    constats: str
    conseils: str
    mark: Decimal | None
    mark_ne_count: int
    generated_at: dt.datetime
    mark_alert: str = ""
    """« Calculée sur 2 CC sur 13 » when the mark rests on too few CCs (flagged), else ""."""
    establishment_uai: str | None = None
    establishment_city: str | None = None
    establishment_logo: bytes | None = None
    """PNG or JPEG bytes, printed left of the establishment's name; None: no logo."""

    @property
    def is_draft(self) -> bool:
        return self.status != FINAL

    @property
    def establishment_details(self) -> str:
        """'UAI 0750654D — Paris' under the establishment's name; '' when neither is known."""
        parts = [f"UAI {self.establishment_uai}" if self.establishment_uai else ""]
        parts.append(self.establishment_city or "")
        return " — ".join(part for part in parts if part)

    @property
    def title(self) -> str:
        """'Bilan de NOM Prénom — 20/03/2026': the PDF title and the running footer."""
        return f"Bilan de {self.learner_name} — {day(self.bilan_date)}"


def day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def format_mark(value: Decimal) -> str:
    """French decimal comma, no useless ',0': 13,5 and 14."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}".replace(".", ",")
