"""The evaluation editor keeps contexts and comments within the same bounds as an import."""

from __future__ import annotations

import datetime as dt

import pytest

from livret.domain.errors import ValidationError
from livret.exchange import results_file
from livret.services.evaluation_dto import EvaluationDraft, GridResult
from livret.services.evaluation_rules import COMMENT_MAX, CONTEXT_MAX, checked_draft


def draft(*, context: str = "", comment: str | None = None) -> EvaluationDraft:
    return EvaluationDraft(
        nature="F",
        eval_date=dt.date(2026, 3, 5),
        title="Contrôle",
        context=context,
        results=(GridResult(1, 2, "3", comment),),
    )


def test_a_long_context_or_comment_is_refused_in_french() -> None:
    assert COMMENT_MAX == results_file.COMMENT_MAX
    values, rows = checked_draft(draft(context="c" * CONTEXT_MAX, comment="m" * COMMENT_MAX))
    assert len(str(values["context"])) == CONTEXT_MAX
    assert rows[0]["comment"] == "m" * COMMENT_MAX
    with pytest.raises(ValidationError) as refused:
        checked_draft(draft(context="c" * (CONTEXT_MAX + 1), comment="m" * (COMMENT_MAX + 1)))
    assert refused.value.message == (
        f"Le contexte dépasse {CONTEXT_MAX} caractères.\n"
        f"Commentaire de plus de {COMMENT_MAX} caractères (apprenant n° 1, critère n° 2).\n"
        "Rien n'a été enregistré."
    )
