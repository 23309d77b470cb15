"""The "Nouvelle évaluation" dialog (and "Modifier l'évaluation"): header, criteria, learners, grid.

The criteria are ticked in a CriteriaPicker and the results typed in a LevelGrid (see
evaluation_grid for its keys). "Enregistrer" sends the filled cells of the chosen
learners × criteria to EvaluationService.create (one transaction).

Built with `for_edit`, the same dialog shows a stored evaluation (its criteria ticked,
its learners checked, the grid filled) and "Enregistrer" calls EvaluationService.update.
When the change reaches results a final bilan was built on, or a new evaluation is
dated inside a learner's closed period (on or before their latest final bilan), the
user is asked first; refusing writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.services.dto import LearnerSummary, sort_key
from livret.services.evaluations import (
    CoveredByFinalBilan,
    CoveredLearner,
    CriterionItem,
    EvaluationChange,
    EvaluationDetails,
    EvaluationDraft,
    EvaluationService,
    covered_summary,
)
from livret.ui import closed_period, messages
from livret.ui.criteria_picker import CriteriaPicker
from livret.ui.evaluation_grid import LevelGrid
from livret.ui.theme import css, themed_style_sheet

LEARNER_ROLE = Qt.ItemDataRole.UserRole


def confirm_change_after_final(parent: QWidget, covered: Sequence[CoveredLearner]) -> bool:
    """Ask before changing an evaluation a final bilan was built on (the change is audited)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(parent.tr("Évaluation prise en compte par un bilan définitif"))
    box.setText(
        parent.tr(
            "Cette évaluation est déjà prise en compte par un bilan définitif pour %1."
        ).replace("%1", covered_summary(covered))
    )
    box.setInformativeText(parent.tr("Modifier quand même ? La modification sera tracée."))
    confirm = box.addButton(parent.tr("Modifier quand même"), QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is confirm


class EvaluationDialog(QDialog):
    """Enter a new evaluation, or change a stored one (`for_edit`), with its results.

    Accepted once saved: see evaluation_id, and `change` (what update() did) when editing.
    """

    def __init__(
        self,
        evaluations: EvaluationService,
        learners: Sequence[LearnerSummary],
        class_id: int | None,
        parent: QWidget | None = None,
        *,
        details: EvaluationDetails | None = None,
    ) -> None:
        super().__init__(parent)
        self._evaluations = evaluations
        self._details = details
        self._learners = tuple(learners)
        if details is not None:
            # The class's learners, and any evaluated learner who has left it since.
            known = {learner.id for learner in learners}
            others = [learner for learner in details.learners if learner.id not in known]
            self._learners = tuple(
                sorted(
                    (*learners, *others),
                    key=lambda s: (sort_key(s.family_name), sort_key(s.first_name), s.id),
                )
            )
        self._class_id = class_id
        self.evaluation_id: int | None = None
        self.change: EvaluationChange | None = None
        """What "Enregistrer" changed, when editing."""
        if details is None:
            self.setWindowTitle(self.tr("Nouvelle évaluation"))
        else:
            self.setWindowTitle(self.tr("Modifier l'évaluation"))
        self.resize(1280, 780)

        layout = QVBoxLayout(self)
        self.covered_label = QLabel()
        self.covered_label.setWordWrap(True)
        themed_style_sheet(
            self.covered_label,
            lambda theme: (
                f"QLabel {{ background: {css(theme.warning_banner)};"
                f" color: {css(theme.warning_banner_text)};"
                f" border: 1px solid {css(theme.warning_banner_border)};"
                " border-radius: 3px; padding: 4px; }"
            ),
        )
        self.covered_label.setVisible(bool(details and details.covered))
        if details is not None and details.covered:
            self.covered_label.setText(
                self.tr(
                    "Déjà prise en compte par un bilan définitif pour %1. Toute modification "
                    "devra être confirmée et sera tracée dans le journal."
                ).replace("%1", covered_summary(details.covered))
            )
        layout.addWidget(self.covered_label)
        layout.addLayout(self._build_header())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_choices())
        splitter.addWidget(self._build_grid())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([460, 820])
        layout.addWidget(splitter, 1)

        buttons = QDialogButtonBox()
        self.save_button = QPushButton(self.tr("Enregistrer"))
        cancel = QPushButton(self.tr("Annuler"))
        for button in (self.save_button, cancel):
            # Enter must move in the grid or finish a field, never save by surprise.
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)

        if details is not None:
            self._show_stored(details)
        self._nature_changed()
        self._rebuild_grid()

    @classmethod
    def for_edit(
        cls,
        evaluations: EvaluationService,
        evaluation_id: int,
        learners: Sequence[LearnerSummary] = (),
        parent: QWidget | None = None,
    ) -> EvaluationDialog:
        """Modifier l'évaluation: the stored evaluation, with `learners` (its class's) to add."""
        details = evaluations.load(evaluation_id)
        return cls(evaluations, learners, details.draft.class_id, parent, details=details)

    @property
    def details(self) -> EvaluationDetails | None:
        """The evaluation as stored when the dialog opened (None for a new one)."""
        return self._details

    def _show_stored(self, details: EvaluationDetails) -> None:
        """Fill the form and tick the criteria of the stored evaluation (the grid has its cells)."""
        draft = details.draft
        self.nature.setCurrentIndex(max(self.nature.findData(draft.nature), 0))
        self.date.setDate(QDate(draft.eval_date.year, draft.eval_date.month, draft.eval_date.day))
        self.title_edit.setText(draft.title)
        self.context.setText(draft.context)
        self.company.setText(draft.company or "")
        self.tutor.setText(draft.tutor or "")
        if draft.pfmp_start is not None or draft.pfmp_end is not None:
            self.pfmp_dates.setChecked(True)
            for edit, day in ((self.pfmp_start, draft.pfmp_start), (self.pfmp_end, draft.pfmp_end)):
                if day is not None:
                    edit.setDate(QDate(day.year, day.month, day.day))
        self.tree.show_chosen({criterion.id for criterion in details.criteria})

    # -- building ------------------------------------------------------------------

    def _build_header(self) -> QHBoxLayout:
        self.nature = QComboBox()
        self.nature.addItem(self.tr("F — en formation"), "F")
        self.nature.addItem(self.tr("E — en entreprise"), "E")
        self.nature.currentIndexChanged.connect(self._nature_changed)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd/MM/yyyy")
        self.date.setMaximumDate(QDate.currentDate())
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(300)
        self.title_edit.setPlaceholderText(self.tr("ex. Remplacement d'un roulement"))
        self.context = QLineEdit()
        self.context.setPlaceholderText(self.tr("Situation, support, conditions…"))
        general = QFormLayout()
        general.addRow(self.tr("&Nature :"), self.nature)
        general.addRow(self.tr("&Date :"), self.date)
        general.addRow(self.tr("&Titre :"), self.title_edit)
        general.addRow(self.tr("&Contexte :"), self.context)

        self.company_box = QGroupBox(self.tr("En entreprise"))
        self.company = QLineEdit()
        self.company.setMaxLength(300)
        self.tutor = QLineEdit()
        self.tutor.setMaxLength(200)
        self.pfmp_dates = QCheckBox(self.tr("Dates de la PFMP"))
        today = QDate.currentDate()
        self.pfmp_start = QDateEdit(today.addDays(-28))
        self.pfmp_end = QDateEdit(today)
        for edit in (self.pfmp_start, self.pfmp_end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setEnabled(False)
            self.pfmp_dates.toggled.connect(edit.setEnabled)
        period = QHBoxLayout()
        period.addWidget(self.pfmp_dates)
        period.addWidget(QLabel(self.tr("du")))
        period.addWidget(self.pfmp_start)
        period.addWidget(QLabel(self.tr("au")))
        period.addWidget(self.pfmp_end)
        period.addStretch(1)
        company_form = QFormLayout(self.company_box)
        company_form.addRow(self.tr("&Entreprise :"), self.company)
        company_form.addRow(self.tr("T&uteur :"), self.tutor)
        company_form.addRow(period)

        header = QHBoxLayout()
        header.addLayout(general, 3)
        header.addWidget(self.company_box, 2)
        return header

    def _build_choices(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("<b>Critères évalués</b>")))
        self.tree = CriteriaPicker(self._evaluations.criteria_tree())
        self.search = self.tree.search
        self.tree.criteria_changed.connect(self._rebuild_grid)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 3)
        layout.addWidget(QLabel(self.tr("<b>Apprenants</b>")))
        self.learner_list = QListWidget()
        self.learner_list.setAccessibleName(self.tr("Apprenants évalués"))
        # Editing: only the learners with a result are checked; others can be added.
        evaluated = {r.learner_id for r in self._details.draft.results} if self._details else set()
        for learner in self._learners:
            label = learner.display_name + (self.tr(" (parti)") if learner.left_on else "")
            item = QListWidgetItem(label)
            item.setData(LEARNER_ROLE, learner.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            chosen = self._details is None or learner.id in evaluated
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
            self.learner_list.addItem(item)
        self.learner_list.itemChanged.connect(lambda _item: self._rebuild_grid())
        layout.addWidget(self.learner_list, 2)
        return panel

    def _build_grid(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            QLabel(
                self.tr(
                    "<b>Saisie</b> — 1 à 4 : niveau, N : non évalué, A : absent, "
                    "Suppr : effacer, Entrée : ligne suivante, F2 : commentaire"
                )
            )
        )
        self.grid = LevelGrid(self._details.draft.results if self._details else ())
        self.grid.entry_changed.connect(self._show_comment)
        self.grid.comment_requested.connect(self._edit_comment)
        layout.addWidget(self.grid, 1)
        self.placeholder = QLabel(self.tr("Cochez des critères et des apprenants pour saisir."))
        layout.addWidget(self.placeholder)
        comment_row = QHBoxLayout()
        comment_label = QLabel(self.tr("C&ommentaire :"))
        self.comment = QLineEdit()
        self.comment.setAccessibleName(self.tr("Commentaire de la cellule"))
        comment_label.setBuddy(self.comment)
        self.comment.textEdited.connect(self.grid.set_current_comment)
        self.comment.returnPressed.connect(self.grid.setFocus)
        comment_row.addWidget(comment_label)
        comment_row.addWidget(self.comment, 1)
        layout.addLayout(comment_row)
        return panel

    # -- criteria and learners ---------------------------------------------------------

    def _leaves(self) -> Iterable[QTreeWidgetItem]:
        """The criteria's items in the tree, in référentiel order."""
        return self.tree.leaves()

    def check_criteria(self, codes: Iterable[str], checked: bool = True) -> None:
        """Check (or uncheck) the criteria with these codes, e.g. "PLP-CP03-04"."""
        self.tree.check_criteria(codes, checked)

    def chosen_criteria(self) -> tuple[CriterionItem, ...]:
        """The checked criteria, in référentiel order."""
        return self.tree.chosen_criteria()

    def chosen_learners(self) -> tuple[LearnerSummary, ...]:
        items = [self.learner_list.item(i) for i in range(self.learner_list.count())]
        checked = {
            item.data(LEARNER_ROLE)
            for item in items
            if item is not None and item.checkState() == Qt.CheckState.Checked
        }
        return tuple(learner for learner in self._learners if learner.id in checked)

    def _nature_changed(self) -> None:
        self.company_box.setEnabled(self.nature.currentData() == "E")

    # -- grid --------------------------------------------------------------------------

    def _rebuild_grid(self) -> None:
        covered = self._details.covered if self._details else ()
        self.grid.show_entries(self.chosen_learners(), self.chosen_criteria(), covered)
        self.placeholder.setVisible(not (self.grid.rowCount() and self.grid.columnCount()))

    def _show_comment(self) -> None:
        comment = self.grid.current_comment()
        self.comment.setEnabled(comment is not None)
        self.comment.setText(comment or "")
        self.comment.setPlaceholderText(
            "" if comment is not None else self.tr("Saisissez d'abord un niveau dans la cellule")
        )

    def _edit_comment(self) -> None:
        if self.comment.isEnabled():
            self.comment.setFocus()
            self.comment.selectAll()

    def level_at(self, row: int, column: int) -> str | None:
        """The level code typed in a grid cell, None when empty."""
        return self.grid.level_at(row, column)

    # -- saving ------------------------------------------------------------------------

    def draft(self) -> EvaluationDraft:
        """What "Enregistrer" sends: only the filled cells of the chosen learners × criteria."""
        is_company = self.nature.currentData() == "E"
        with_dates = is_company and self.pfmp_dates.isChecked()
        return EvaluationDraft(
            nature=str(self.nature.currentData()),
            eval_date=_date(self.date.date()),
            title=self.title_edit.text(),
            context=self.context.text(),
            class_id=self._class_id,
            company=self.company.text() if is_company else None,
            tutor=self.tutor.text() if is_company else None,
            pfmp_start=_date(self.pfmp_start.date()) if with_dates else None,
            pfmp_end=_date(self.pfmp_end.date()) if with_dates else None,
            results=self.grid.results(),
        )

    def save(self) -> None:
        """Save the evaluation and its grid at once; the dialog stays open on refusal."""
        try:
            if self._details is None:
                evaluation_id = self._create(self.draft())
                if evaluation_id is None:
                    return
                self.evaluation_id = evaluation_id
            else:
                change = self._save_changes(self._details.id, self.draft())
                if change is None:
                    return
                self.evaluation_id, self.change = self._details.id, change
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return
        self.accept()

    def _create(self, draft: EvaluationDraft) -> int | None:
        """create(), asking first when it falls in a closed period; None when the user declines."""
        try:
            return self._evaluations.create(draft)
        except CoveredByFinalBilan as exc:
            if not closed_period.confirm_adding_in_closed_period(
                self, exc.covered, importing=False
            ):
                return None
        return self._evaluations.create(draft, confirm_covered=True)

    def _save_changes(self, evaluation_id: int, draft: EvaluationDraft) -> EvaluationChange | None:
        """update(), asking first when a final bilan covers it; None when the user declines."""
        seen = self._details.draft if self._details is not None else None
        try:
            return self._evaluations.update(evaluation_id, draft, expected=seen)
        except CoveredByFinalBilan as exc:
            if not confirm_change_after_final(self, exc.covered):
                return None
        return self._evaluations.update(evaluation_id, draft, confirm_covered=True, expected=seen)


def _date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())
