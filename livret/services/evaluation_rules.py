"""What an evaluation draft must satisfy before anything is written, checked all at once.

checked_draft() looks at the whole draft (nature, title, date, company for an E,
every level, no cell twice) and reports every problem in one French ValidationError;
that the class, learners and criteria still exist is checked when writing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from livret.domain.errors import ValidationError
from livret.domain.levels import parse_result_level
from livret.exchange import results_file
from livret.services.evaluation_dto import EvaluationDraft

NATURES: dict[str, str] = {"F": "Formation", "E": "Entreprise"}
TITLE_MAX = 300
COMPANY_MAX = 300
TUTOR_MAX = 200
CONTEXT_MAX = 5000
"""The context of an evaluation: a few paragraphs (the database would keep anything)."""
COMMENT_MAX = results_file.COMMENT_MAX
"""A result's comment: the same bound as in an imported file."""


def checked_draft(draft: EvaluationDraft) -> tuple[dict[str, object], list[dict[str, Any]]]:
    """The evaluation's column values and its result rows, or a French ValidationError."""
    problems: list[str] = []
    nature = draft.nature.strip().upper()
    if nature not in NATURES:
        problems.append(f"Nature inconnue : « {draft.nature} » (attendu : F ou E).")
    title = draft.title.strip()
    if not title:
        problems.append("Indiquez le titre de l'évaluation.")
    elif len(title) > TITLE_MAX:
        problems.append(f"Le titre dépasse {TITLE_MAX} caractères.")
    if len(draft.context.strip()) > CONTEXT_MAX:
        problems.append(f"Le contexte dépasse {CONTEXT_MAX} caractères.")
    if draft.eval_date > dt.date.today():
        problems.append(f"La date de l'évaluation ({draft.eval_date:%d/%m/%Y}) est dans le futur.")
    company = (draft.company or "").strip() or None
    tutor = (draft.tutor or "").strip() or None
    pfmp_start, pfmp_end = draft.pfmp_start, draft.pfmp_end
    if nature == "E":
        if company is None:
            problems.append("Une évaluation en entreprise (E) doit indiquer l'entreprise.")
        elif len(company) > COMPANY_MAX:
            problems.append(f"Le nom de l'entreprise dépasse {COMPANY_MAX} caractères.")
        if tutor is not None and len(tutor) > TUTOR_MAX:
            problems.append(f"Le nom du tuteur dépasse {TUTOR_MAX} caractères.")
        if pfmp_start and pfmp_end and pfmp_end < pfmp_start:
            problems.append("La fin de la PFMP précède son début.")
    else:
        # Company, tutor and PFMP dates only mean something for an evaluation in a company.
        company = tutor = pfmp_start = pfmp_end = None
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    for result in draft.results:
        key = (result.learner_id, result.criterion_id)
        if key in seen:
            problems.append(f"Résultat en double (apprenant n° {key[0]}, critère n° {key[1]}).")
            continue
        seen.add(key)
        try:
            level = str(parse_result_level(result.level))
        except ValidationError as exc:
            problems.append(exc.message)
            continue
        comment = (result.comment or "").strip() or None
        if comment is not None and len(comment) > COMMENT_MAX:
            problems.append(
                f"Commentaire de plus de {COMMENT_MAX} caractères (apprenant n° "
                f"{key[0]}, critère n° {key[1]})."
            )
            continue
        rows.append(
            {
                "learner_id": result.learner_id,
                "criterion_id": result.criterion_id,
                "level": level,
                "comment": comment,
            }
        )
    if not draft.results:
        problems.append("Saisissez au moins un résultat.")
    if problems:
        raise ValidationError("\n".join([*problems, "Rien n'a été enregistré."]))
    values: dict[str, object] = {
        "nature": nature,
        "eval_date": draft.eval_date,
        "title": title,
        "context": draft.context.strip(),
        "class_id": draft.class_id,
        "company": company,
        "tutor": tutor,
        "pfmp_start": pfmp_start,
        "pfmp_end": pfmp_end,
    }
    return values, rows
