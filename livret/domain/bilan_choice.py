"""Which bilan stands for a learner on a given day: the one rule of the conseil de classe.

The class PDF, « Noter le dernier bilan » and the conseil de classe view all ask the
same question — for this learner, on this day (the day of the conseil), which bilan do
we show? — and must agree. The answer is the learner's latest **final** bilan dated on
or before that day (latest by bilan date, then by id: two finals on one day, the one
written last), whatever the class or school year it was written in. A draft is used
only when the caller asks for drafts, and only when it is dated on or before the day
and not older than that final bilan; the caller then marks it as a draft (the PDF is
watermarked « BROUILLON »). Marks never ask for drafts.

When nothing can be shown, the choice says why, in French, for the list of learners
« sans bilan » each of these screens prints.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from livret.domain.errors import ValidationError

FINAL = "final"
DRAFT = "draft"

_FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class BilanHead:
    """What the rule needs to know of one bilan."""

    bilan_id: int
    bilan_date: dt.date
    status: str  # "final" or "draft"


@dataclass(frozen=True, slots=True)
class BilanChoice:
    """The bilan that stands for a learner on a day, or why there is none."""

    bilan_id: int | None
    bilan_date: dt.date | None
    is_draft: bool
    reason: str
    """Empty when a bilan was chosen; otherwise a French phrase in lower case, to follow
    a name (« DUPONT Éric : aucun bilan définitif au 01/12/2025 … »)."""

    @property
    def chosen(self) -> bool:
        return self.bilan_id is not None


def french_date(day: dt.date) -> str:
    """JJ/MM/AAAA."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def parse_day(text: str) -> dt.date:
    """A day typed as JJ/MM/AAAA or AAAA-MM-JJ (the CLI's --date); a French error otherwise."""
    cleaned = text.strip()
    french = _FRENCH_DAY.match(cleaned)
    iso = _ISO_DAY.match(cleaned)
    if french is not None:
        day, month, year = (int(part) for part in french.groups())
    elif iso is not None:
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise ValidationError(
            f"Date « {cleaned} » illisible (attendu : JJ/MM/AAAA ou AAAA-MM-JJ, "
            "par exemple 12/12/2025)."
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValidationError(f"Date « {cleaned} » impossible (ce jour n'existe pas).") from None


def choose_bilan(
    bilans: Iterable[BilanHead], on: dt.date, *, include_drafts: bool = False
) -> BilanChoice:
    """The learner's bilan for a conseil held on `on` (see the module docstring)."""
    heads = list(bilans)
    finals = [h for h in heads if h.status == FINAL and h.bilan_date <= on]
    drafts = [h for h in heads if h.status == DRAFT and h.bilan_date <= on]
    final = max(finals, key=lambda h: (h.bilan_date, h.bilan_id), default=None)
    draft = max(drafts, key=lambda h: (h.bilan_date, h.bilan_id), default=None)
    if (
        include_drafts
        and draft is not None
        and (final is None or draft.bilan_date >= final.bilan_date)
    ):
        return BilanChoice(draft.bilan_id, draft.bilan_date, True, "")
    if final is not None:
        return BilanChoice(final.bilan_id, final.bilan_date, False, "")
    return BilanChoice(None, None, False, _why_none(heads, on, include_drafts))


def _why_none(heads: list[BilanHead], on: dt.date, include_drafts: bool) -> str:
    if not heads:
        return "aucun bilan"
    drafts = sorted(h.bilan_date for h in heads if h.status == DRAFT and h.bilan_date <= on)
    if drafts and not include_drafts:
        return (
            f"seulement un brouillon (du {french_date(drafts[-1])}), "
            "pas encore enregistré définitivement"
        )
    later_finals = sorted(h.bilan_date for h in heads if h.status == FINAL and h.bilan_date > on)
    if later_finals:
        return (
            f"aucun bilan définitif au {french_date(on)} "
            f"(le premier est du {french_date(later_finals[0])})"
        )
    later_drafts = sorted(h.bilan_date for h in heads if h.status == DRAFT and h.bilan_date > on)
    if later_drafts:
        return (
            f"aucun bilan au {french_date(on)} "
            f"(seulement un brouillon du {french_date(later_drafts[0])})"
        )
    return "aucun bilan définitif"
