"""A committed change that other open apps must show: who, what kind, which learners."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change, as another app sees it."""

    id: int
    origin: str
    actor: str
    kind: str
    learner_ids: frozenset[int]
    class_ids: frozenset[int]
    bilan_id: int | None

    @property
    def everything(self) -> bool:
        """A change with no learner nor class named (référentiel, big import): reload all."""
        return not self.learner_ids and not self.class_ids
