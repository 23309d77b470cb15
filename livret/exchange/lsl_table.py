"""The LSL Pro synthesis as a table (CSV for Excel, or XLSX): one row per learner.

Columns: INE, nom, prénom, classe, niveau, année scolaire, one column per competency
of the specialty (the chosen degree's label, empty when not chosen), one per period
(the mean mark, empty without one), the PFMP (« entreprise (tuteur) du … au … », one
per line), the appréciation and the missing fields (one per line). Text cells are
neutralised against formulas as the marks export does (livret.exchange.marks_export).
"""

from __future__ import annotations

from pathlib import Path

from livret.exchange.lsl_xml import DEGREE_LABELS, LslDocument, PfmpRecord
from livret.exchange.marks_export import Cell, write_marks_csv, write_marks_xlsx

SHEET_TITLE = "LSL Pro"
FIXED_HEADER: tuple[str, ...] = ("INE", "nom", "prénom", "classe", "niveau", "année scolaire")
TAIL_HEADER: tuple[str, ...] = ("PFMP", "appréciation", "champs manquants")
SUFFIXES = (".csv", ".xlsx")


def _period_title(number: int, periodicity: str) -> str:
    rank = "1er" if number == 1 else f"{number}e"
    return f"moyenne {rank} {periodicity}"


def lsl_table(document: LslDocument) -> tuple[tuple[str, ...], list[tuple[Cell, ...]]]:
    """The header and the rows of the document's learners."""
    codes: list[str] = []
    periods: list[tuple[int, str]] = []
    for learner in document.learners:
        for competency in learner.competencies:
            if competency.code not in codes:
                codes.append(competency.code)
        for period in learner.periods:
            key = (period.number, learner.periodicity)
            if key not in periods:
                periods.append(key)
    header = (
        *FIXED_HEADER,
        *codes,
        *(_period_title(number, periodicity) for number, periodicity in periods),
        *TAIL_HEADER,
    )
    rows: list[tuple[Cell, ...]] = []
    for learner in document.learners:
        degrees = {
            c.code: DEGREE_LABELS[c.degree] if c.degree is not None else None
            for c in learner.competencies
        }
        means = {(p.number, learner.periodicity): p.mean for p in learner.periods}
        rows.append(
            (
                learner.ine,
                learner.family_name,
                learner.first_name,
                learner.class_code,
                learner.grade,
                document.school_year,
                *(degrees.get(code) for code in codes),
                *(means.get(key) for key in periods),
                "\n".join(pfmp_text(p) for p in learner.pfmps) or None,
                learner.appreciation or None,
                "\n".join(learner.missing) or None,
            )
        )
    return header, rows


def pfmp_text(pfmp: PfmpRecord) -> str:
    """« Société A (M. Roux) du 28/09/2026 au 16/10/2026 », with « ? » for what is missing."""
    start = f"{pfmp.start:%d/%m/%Y}" if pfmp.start else "?"
    end = f"{pfmp.end:%d/%m/%Y}" if pfmp.end else "?"
    return f"{pfmp.company or '?'} ({pfmp.tutor or 'tuteur ?'}) du {start} au {end}"


def write_lsl_table(path: Path, document: LslDocument) -> None:
    """CSV or XLSX, chosen by the suffix (.csv or .xlsx; the caller checks it)."""
    header, rows = lsl_table(document)
    if Path(path).suffix.casefold() == ".csv":
        write_marks_csv(Path(path), header, rows)
    else:
        write_marks_xlsx(Path(path), header, rows, sheet_title=SHEET_TITLE)
