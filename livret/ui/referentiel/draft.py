"""The référentiel being edited: the stored version's JSON shape, copied and edited in place.

No Qt here: the tree and the forms show this draft, the dialog edits it through these
methods. Identity, not code, tells a stored item from a new one (a new one may reuse a
code by mistake).
"""

from __future__ import annotations

import copy
import re
from enum import Enum
from typing import Any

from livret.domain.referentiel import Referentiel
from livret.domain.referentiel_json import referentiel_to_json

Item = dict[str, Any]
"""One specialty, competency or criterion of the JSON shape (referentiel_to_json)."""


class Kind(Enum):
    SPECIALTY = "specialty"
    COMPETENCY = "competency"
    CRITERION = "criterion"


OWN_FIELDS = {
    Kind.SPECIALTY: ("code", "title"),
    Kind.COMPETENCY: ("code", "title"),
    Kind.CRITERION: ("id", "text", "cc", "confidence"),
}
LIST = {Kind.COMPETENCY: "competencies", Kind.CRITERION: "criteria"}
"""Under which name an item's parent lists it."""


class ReferentielDraft:
    """The edits to one stored version; nothing is written until the dialog applies them."""

    def __init__(self, base: Referentiel) -> None:
        self.base = base
        self.stored_json = referentiel_to_json(base)
        self.data = copy.deepcopy(self.stored_json)
        self._stored: dict[int, tuple[Item, Item]] = {}
        """Draft object id → (draft object, the same item in the stored version)."""
        pairs = zip(self.stored_json["specialties"], self.data["specialties"], strict=True)
        for stored_specialty, specialty in pairs:
            self._remember(stored_specialty, specialty)
            competencies = zip(
                stored_specialty["competencies"], specialty["competencies"], strict=True
            )
            for stored_competency, competency in competencies:
                self._remember(stored_competency, competency)
                criteria = zip(stored_competency["criteria"], competency["criteria"], strict=True)
                for stored_criterion, criterion in criteria:
                    self._remember(stored_criterion, criterion)

    def _remember(self, stored: Item, draft: Item) -> None:
        # Holding the draft object keeps its id() from being reused.
        self._stored[id(draft)] = (draft, stored)

    def stored(self, item: Item) -> Item | None:
        """The same item in the stored version; None when added in this draft."""
        original = self._stored.get(id(item))
        return original[1] if original and original[0] is item else None

    def is_dirty(self) -> bool:
        """The draft differs from the stored version."""
        return self.data != self.stored_json

    def set_version(self, text: str) -> None:
        self.data["version"] = text.strip()

    def set_field(self, item: Item, name: str, value: Any) -> None:
        if isinstance(value, str):
            # One statement per criterion: line breaks and double spaces are typing noise.
            value = " ".join(value.split())
        if name == "confidence" and not value:
            item.pop("confidence", None)
        else:
            item[name] = value

    # -- adding and removing -------------------------------------------------------

    def add_specialty(self) -> Item:
        """A new, empty specialty at the end."""
        item: Item = {"code": "", "title": "", "competencies": []}
        self.data["specialties"].append(item)
        return item

    def add_competency(self, specialty: Item) -> Item:
        """A new competency at the end of `specialty`, with a proposed code (C1, C2…)."""
        siblings = specialty.setdefault("competencies", [])
        taken = {str(c.get("code", "")) for c in siblings}
        number = len(siblings) + 1
        while f"C{number}" in taken:
            number += 1
        item: Item = {"code": f"C{number}", "title": "", "criteria": []}
        siblings.append(item)
        return item

    def add_criterion(self, specialty_code: str, competency: Item) -> Item:
        """A new criterion at the end of `competency`, id like MSPC-C1-01."""
        siblings = competency.setdefault("criteria", [])
        item: Item = {
            "id": self.propose_criterion_id(specialty_code, competency),
            "text": "",
            # Criteria of one competency often serve the same CC: start from the last one's.
            "cc": str(siblings[-1].get("cc", "")) if siblings else "",
        }
        siblings.append(item)
        return item

    def propose_criterion_id(self, specialty_code: str, competency: Item) -> str:
        """specialty-competency-next number, e.g. MSPC-C1-03, not used anywhere yet."""
        prefix = f"{specialty_code}-{competency.get('code', '')}-"
        taken = {
            str(criterion.get("id", ""))
            for specialty in self.data["specialties"]
            for other in specialty.get("competencies", [])
            for criterion in other.get("criteria", [])
        }
        numbers = [
            int(match.group(1))
            for criterion in competency.get("criteria", [])
            if (match := re.fullmatch(re.escape(prefix) + r"(\d+)", str(criterion.get("id"))))
        ]
        number = max(numbers, default=0) + 1
        while f"{prefix}{number:02d}" in taken:
            number += 1
        return f"{prefix}{number:02d}"

    def remove(self, kind: Kind, item: Item, parent: Item | None) -> Item | None:
        """Remove `item` (and what it holds); return the sibling to select next, if any."""
        siblings: list[Item] = self.data["specialties"] if parent is None else parent[LIST[kind]]
        index = next(i for i, d in enumerate(siblings) if d is item)
        del siblings[index]
        # The next sibling, else the previous one.
        return siblings[min(index, len(siblings) - 1)] if siblings else None

    def stored_without(self, key: tuple[str, ...]) -> dict[str, Any]:
        """The stored version's JSON without the item of this key (see Node.key)."""
        candidate = copy.deepcopy(self.stored_json)
        for specialty in list(candidate["specialties"]):
            if key == ("specialty", specialty["code"]):
                candidate["specialties"].remove(specialty)
                continue
            for competency in list(specialty["competencies"]):
                if key == ("competency", specialty["code"], competency["code"]):
                    specialty["competencies"].remove(competency)
                    continue
                competency["criteria"] = [
                    c for c in competency["criteria"] if key != ("criterion", c["id"])
                ]
        return candidate
