"""Conseil de classe: the view, its remarks and its exports on the demo, on every back-end.

The learner whose changes are checked is given two final bilans here, through
BilanService as a teacher would: CC1.1 goes from 1 to 3, CC2.1 from 4 to 2, CC2.2
stays at 3, CC2.3 is NE in the second; the second bilan positions 3 CCs of 13, so its
mark (20 × (2/3 + 1/3 + 2/3) / 3 = 11,1) is flagged.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from pypdf import PdfReader
from sqlalchemy import event, text

from livret.domain.conseil import REMARK_MAX_LENGTH, Trend
from livret.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from livret.domain.marks import MarkSettings
from livret.domain.roles import Actor, Role
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.conseil import (
    NO_MARK_ON_DRAFT,
    REMARK_ACTION,
    ConseilLine,
    ConseilService,
    ConseilView,
)
from livret.services.database import Database
from livret.services.dto import sort_key
from livret.services.marks import MarkService
from tests.accounts import make_account

TODAY = dt.date.today()
FIRST, SECOND = TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=1)
# Dates of the demo's bilans: 12/12/2025 and 20/03/2026 (cohorts A and B), 13/11/2026
# (cohort C), drafts of 27/11/2026. Conseils before, between and after them.
CONSEILS = (
    dt.date(2025, 12, 1),
    dt.date(2025, 12, 12),
    dt.date(2026, 1, 15),
    dt.date(2026, 4, 2),
    dt.date(2026, 11, 20),
    TODAY,
)


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


@contextmanager
def counted_statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def class_without_bilan(database: Database) -> tuple[int, int]:
    """A class of the current year holding a learner without any bilan, and that learner."""
    class_id, learner_id = rows(
        database,
        "SELECT e.class_id, e.learner_id FROM enrolment e "
        "JOIN school_class c ON c.id = e.class_id JOIN school_year y ON y.id = c.school_year_id "
        "WHERE NOT EXISTS (SELECT 1 FROM bilan b WHERE b.learner_id = e.learner_id) "
        "ORDER BY y.start_date DESC, e.class_id, e.learner_id LIMIT 1",
    )[0]
    return int(class_id), int(learner_id)


def cc_ids(database: Database) -> dict[str, int]:
    return {
        code: int(cc_id)
        for cc_id, code in rows(
            database, "SELECT id, code FROM common_competency ORDER BY position"
        )
    }


def finalize(
    database: Database, actor: Actor, learner_id: int, day: dt.date, levels: dict[str, str]
) -> int:
    """A final bilan dated `day` with exactly these levels (the other CCs NE)."""
    bilans = BilanService(database, actor)
    sheet = bilans.open_draft(learner_id)
    ids = cc_ids(database)
    sheet = bilans.save_draft(
        sheet.bilan_id,
        version=sheet.version,
        constats="",
        conseils="",
        positionings={cc_id: levels.get(code, "NE") for code, cc_id in ids.items()},
        bilan_date=day,
    )
    bilans.finalize(sheet.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD)
    return sheet.bilan_id


@pytest.fixture
def teacher(demo_database: Database) -> Actor:
    return make_account(demo_database, Role.TEACHER, name="Mme Conseil")


def history(database: Database, teacher: Actor) -> tuple[int, int, tuple[int, int]]:
    """The class, the learner given two final bilans (FIRST, SECOND), and their ids."""
    class_id, learner_id = class_without_bilan(database)
    full = {code: "2" for code in cc_ids(database)}
    full.update({"CC1.1": "1", "CC2.1": "4", "CC2.2": "3", "CC2.3": "3"})
    first = finalize(database, teacher, learner_id, FIRST, full)
    second = finalize(
        database, teacher, learner_id, SECOND, {"CC1.1": "3", "CC2.1": "2", "CC2.2": "3"}
    )
    return class_id, learner_id, (first, second)


def line_of(view: ConseilView, learner_id: int) -> ConseilLine:
    return next(line for line in view.lines if line.learner.id == learner_id)


def trend_of(view: ConseilView, line: ConseilLine, code: str) -> Trend:
    codes = [cc.code for cc in view.common_competencies]
    return line.trends[codes.index(code)]


def test_every_enrolled_learner_in_french_order(demo_database: Database, teacher: Actor) -> None:
    class_id, _ = class_without_bilan(demo_database)
    view = ConseilService(demo_database, teacher).view(class_id, TODAY)
    enrolled = rows(
        demo_database,
        "SELECT l.id, l.family_name, l.first_name FROM learner l "
        "JOIN enrolment e ON e.learner_id = l.id WHERE e.class_id = :c",
        c=class_id,
    )
    expected = sorted(enrolled, key=lambda r: (sort_key(r[1]), sort_key(r[2]), r[0]))
    assert [line.learner.id for line in view.lines] == [r[0] for r in expected]
    assert len(view.lines) == 12
    assert len(view.common_competencies) == 13
    assert all(len(line.trends) in (0, 13) for line in view.lines)


@pytest.mark.parametrize("on", CONSEILS, ids=[day.isoformat() for day in CONSEILS])
def test_the_bilan_is_the_latest_final_one_on_that_day(
    demo_database: Database, teacher: Actor, on: dt.date
) -> None:
    """Checked against SQL written here, for every class of the demo."""
    service = ConseilService(demo_database, teacher)
    classes = [int(r[0]) for r in rows(demo_database, "SELECT id FROM school_class")]
    for class_id in classes:
        view = service.view(class_id, on)
        expected = {
            int(learner_id): bilan_id
            for learner_id, bilan_id in rows(
                demo_database,
                "SELECT e.learner_id, (SELECT b.id FROM bilan b WHERE b.learner_id = e.learner_id "
                "AND b.status = 'final' AND b.bilan_date <= :on "
                "ORDER BY b.bilan_date DESC, b.id DESC LIMIT 1) "
                "FROM enrolment e WHERE e.class_id = :c",
                c=class_id,
                on=on,
            )
        }
        assert {line.learner.id: line.bilan_id for line in view.lines} == expected
        for line in view.lines:
            assert (line.status == "final") == (line.bilan_id is not None)
            assert bool(line.reason) == (line.bilan_id is None)


def test_marks_are_those_of_noter_le_dernier_bilan(demo_database: Database, teacher: Actor) -> None:
    service, marks = ConseilService(demo_database, teacher), MarkService(demo_database, teacher)
    for (class_id,) in rows(demo_database, "SELECT id FROM school_class"):
        view = service.view(int(class_id), TODAY)
        preview = marks.preview(int(class_id))
        expected = {line.learner.id: (line.bilan_id, line.value) for line in preview.lines}
        assert {line.learner.id: (line.bilan_id, line.mark) for line in view.lines} == expected
        assert {line.learner.id: line.ne_count for line in view.lines if line.bilan_id} == {
            line.learner.id: line.ne_count for line in preview.lines if line.bilan_id
        }
    assert any(line.mark is not None for line in view.lines)


def test_changes_per_cc_since_the_previous_final_bilan(
    demo_database: Database, teacher: Actor
) -> None:
    class_id, learner_id, (first, second) = history(demo_database, teacher)
    service = ConseilService(demo_database, teacher)

    view = service.view(class_id, TODAY)
    line = line_of(view, learner_id)
    assert (line.bilan_id, line.bilan_date, line.previous_date) == (second, SECOND, FIRST)
    assert trend_of(view, line, "CC1.1") is Trend.UP  # 1 → 3
    assert trend_of(view, line, "CC2.1") is Trend.DOWN  # 4 → 2
    assert trend_of(view, line, "CC2.2") is Trend.SAME  # 3 → 3
    assert trend_of(view, line, "CC2.3") is Trend.NONE  # 3 → NE
    assert line.trends.count(Trend.NONE) == 10
    # 3 CCs of 13: 20 × (2/3 + 1/3 + 2/3) / 3 = 11.1, flagged.
    assert (line.mark, line.ne_count, line.counted) == (Decimal("11.1"), 10, 3)
    assert line.mark_flagged
    # The alert's share is the marks' setting: at 20 %, 3 CCs of 13 are enough.
    MarkService(demo_database, teacher).save_settings(MarkSettings(min_share=Decimal("0.2")))
    assert not line_of(service.view(class_id, TODAY), learner_id).mark_flagged
    MarkService(demo_database, teacher).save_settings(MarkSettings())

    # The day of the first bilan: it stands alone, nothing to compare, a full mark.
    view = service.view(class_id, FIRST)
    line = line_of(view, learner_id)
    assert (line.bilan_id, line.previous_date) == (first, None)
    assert set(line.trends) == {Trend.NONE}
    assert not line.mark_flagged
    # Without a final bilan before, nothing to compare; with one, the demo shows changes.
    shown = [other for other in view.lines if other.bilan_id]
    assert all(set(o.trends) == {Trend.NONE} for o in shown if o.previous_date is None)
    assert any(set(o.trends) & {Trend.UP, Trend.DOWN} for o in shown if o.previous_date)


def test_a_learner_without_bilan_is_listed_with_the_reason(
    demo_database: Database, teacher: Actor
) -> None:
    class_id, learner_id = class_without_bilan(demo_database)
    service = ConseilService(demo_database, teacher)
    view = service.view(class_id, TODAY)
    line = line_of(view, learner_id)
    assert (line.bilan_id, line.status, line.reason, line.mark) == (
        None,
        "none",
        "aucun bilan",
        None,
    )
    assert view.without_bilan >= 1
    # Before the demo's first bilans, every learner is listed, each with the reason.
    early = service.view(class_id, dt.date(2025, 11, 1))
    assert len(early.lines) == len(view.lines)
    assert all(line.bilan_id is None and line.reason for line in early.lines)
    assert any("aucun bilan définitif au 01/11/2025" in line.reason for line in early.lines)


def test_drafts_only_when_asked_and_never_marked(demo_database: Database, teacher: Actor) -> None:
    (learner_id, class_id) = rows(
        demo_database,
        "SELECT b.learner_id, e.class_id FROM bilan b JOIN enrolment e ON e.learner_id = "
        "b.learner_id JOIN school_class c ON c.id = e.class_id JOIN school_year y ON "
        "y.id = c.school_year_id WHERE b.status = 'draft' ORDER BY y.start_date DESC, "
        "b.learner_id LIMIT 1",
    )[0]
    service = ConseilService(demo_database, teacher)
    without = line_of(service.view(class_id, TODAY), learner_id)
    with_drafts = line_of(service.view(class_id, TODAY, include_drafts=True), learner_id)
    assert without.status != "draft"
    assert with_drafts.status == "draft"
    assert (with_drafts.mark, with_drafts.mark_note) == (None, NO_MARK_ON_DRAFT)


def test_a_handful_of_queries_whatever_the_class(demo_database: Database, teacher: Actor) -> None:
    service = ConseilService(demo_database, teacher)
    counts = []
    for (class_id,) in rows(demo_database, "SELECT id FROM school_class"):
        with counted_statements(demo_database) as seen:
            view = service.view(int(class_id), TODAY)
        assert view.lines
        counts.append(len(seen))
    assert max(counts) <= 12
    assert len(set(counts)) == 1, counts


def test_remark_round_trip_audited(demo_database: Database, teacher: Actor) -> None:
    class_id, learner_id = class_without_bilan(demo_database)
    service = ConseilService(demo_database, teacher)
    saved = service.save_remark(class_id, learner_id, TODAY, "  Absences à\nsurveiller  ")
    assert saved.written and saved.text == "Absences à surveiller"

    line = line_of(service.view(class_id, TODAY), learner_id)
    assert (line.remark, line.remark_author) == ("Absences à surveiller", "Mme Conseil")
    assert line.remark_updated_at is not None
    # Per conseil date: another day's conseil has no remark yet.
    assert line_of(service.view(class_id, TODAY - dt.timedelta(days=7)), learner_id).remark == ""
    # The same text again writes nothing.
    assert not service.save_remark(class_id, learner_id, TODAY, "Absences à surveiller").written
    # An empty remark is allowed.
    service.save_remark(class_id, learner_id, TODAY, "", seen="Absences à surveiller")
    assert line_of(service.view(class_id, TODAY), learner_id).remark == ""

    events = rows(
        demo_database,
        "SELECT entity, entity_id, actor, details FROM audit_event WHERE action = :a ORDER BY id",
        a=REMARK_ACTION,
    )
    assert len(events) == 2
    assert all((e[0], e[1], e[2]) == ("learner", learner_id, "Mme Conseil") for e in events)
    assert "(vide) → « Absences à surveiller »" in events[0][3]
    assert "« Absences à surveiller » → (vide)" in events[1][3]
    stored = rows(
        demo_database,
        "SELECT COUNT(*) FROM conseil_remark WHERE learner_id = :l AND class_id = :c",
        l=learner_id,
        c=class_id,
    )
    assert stored[0][0] == 1


def test_bad_remarks_write_nothing(demo_database: Database, teacher: Actor) -> None:
    class_id, learner_id = class_without_bilan(demo_database)
    service = ConseilService(demo_database, teacher)
    service.save_remark(class_id, learner_id, TODAY, "Sérieux")
    before = rows(demo_database, "SELECT COUNT(*) FROM audit_event")[0][0]

    with pytest.raises(ValidationError, match="trop longue"):
        service.save_remark(class_id, learner_id, TODAY, "x" * (REMARK_MAX_LENGTH + 1))
    with pytest.raises(ConflictError, match="modifiée sur un autre poste"):
        service.save_remark(class_id, learner_id, TODAY, "Autre", seen="")
    other_class = rows(
        demo_database,
        "SELECT id FROM school_class WHERE id NOT IN "
        "(SELECT class_id FROM enrolment WHERE learner_id = :l) LIMIT 1",
        l=learner_id,
    )[0][0]
    with pytest.raises(NotFound, match="pas inscrit"):
        service.save_remark(other_class, learner_id, TODAY, "Ailleurs")
    with pytest.raises(ValidationError, match="date du conseil"):
        service.save_remark(class_id, learner_id, None, "Sans date")  # type: ignore[arg-type]

    assert rows(demo_database, "SELECT COUNT(*) FROM audit_event")[0][0] == before
    assert rows(demo_database, "SELECT text FROM conseil_remark") == [("Sérieux",)]


def test_learners_and_administrators_are_refused(demo_database: Database) -> None:
    class_id, learner_id = class_without_bilan(demo_database)
    ine = rows(demo_database, "SELECT ine FROM learner WHERE id = :l", l=learner_id)[0][0]
    for actor in (
        make_account(demo_database, Role.LEARNER, learner_ine=ine),
        make_account(demo_database, Role.ADMIN),
    ):
        service = ConseilService(demo_database, actor)
        with pytest.raises(PermissionDenied):
            service.view(class_id, TODAY)
        with pytest.raises(PermissionDenied):
            service.save_remark(class_id, learner_id, TODAY, "Non")
    assert rows(demo_database, "SELECT COUNT(*) FROM conseil_remark")[0][0] == 0


def test_exports_read_back(demo_database: Database, teacher: Actor, tmp_path: Path) -> None:
    class_id, learner_id, _ = history(demo_database, teacher)
    service = ConseilService(demo_database, teacher)
    service.save_remark(class_id, learner_id, TODAY, "=Progrès nets")
    view = service.view(class_id, TODAY)
    codes = [cc.code for cc in view.common_competencies]
    position = [line.learner.id for line in view.lines].index(learner_id)

    csv_path = service.export_table(class_id, TODAY, tmp_path / "conseil.csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.reader(stream, delimiter=";"))
    header, body = table[0], table[1:]
    assert header[:4] == ["INE", "nom", "prénom", "classe"]
    assert header[-14:] == [*codes, "remarque"]
    assert len(body) == len(view.lines)
    row = dict(zip(header, body[position], strict=True))
    assert (row["CC1.1"], row["CC2.1"], row["CC2.2"], row["CC2.3"]) == (
        "hausse",
        "baisse",
        "stable",
        "",
    )
    assert (row["note"], row["note à vérifier"], row["statut"]) == ("11,1", "oui", "définitif")
    assert row["remarque"] == "'=Progrès nets"  # never run as a formula
    missing = [r for r in body if r[header.index("statut")] == "aucun"]
    assert missing and all(r[header.index("motif")] for r in missing)

    xlsx_path = service.export_table(class_id, TODAY, tmp_path / "conseil.xlsx")
    sheet = load_workbook(xlsx_path).active
    assert sheet.title == f"Conseil du {TODAY:%d-%m-%Y}"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert len(values) == len(view.lines) + 1
    xrow = dict(zip(header, values[position + 1], strict=True))
    assert xrow["note"] == pytest.approx(11.1)
    assert xrow["CC1.1"] == "hausse"
    assert xrow["remarque"] == "=Progrès nets"
    assert sheet.cell(row=position + 2, column=len(header)).data_type == "s"

    with pytest.raises(ValidationError, match=r"\.csv ou \.xlsx"):
        service.export_table(class_id, TODAY, tmp_path / "conseil.ods")
    assert not (tmp_path / "conseil.ods").exists()


def test_pdf_of_the_meeting(demo_database: Database, teacher: Actor, tmp_path: Path) -> None:
    class_id, learner_id, _ = history(demo_database, teacher)
    service = ConseilService(demo_database, teacher)
    service.save_remark(class_id, learner_id, TODAY, "Progrès nets en CC1.1")
    view = service.view(class_id, TODAY)
    path = service.export_pdf(class_id, TODAY, tmp_path / "conseil.pdf")
    reader = PdfReader(path)
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    content = "\n".join(p.extract_text() for p in reader.pages)
    assert f"Conseil de classe du {TODAY:%d/%m/%Y}" in content
    assert view.class_code in content
    for line in view.lines:
        assert line.learner.display_name in content
    assert "11,1 ⚠" in content
    assert "Progrès nets en CC1.1" in content
    words = " ".join(content.split())  # wrapped cells read back on several lines
    missing = [line for line in view.lines if line.bilan_id is None]
    assert missing and all(line.reason in words for line in missing)
    assert f"Page 1 / {len(reader.pages)}" in content
