"""The evaluation detail window: all results of one evaluation for the learner, by CC."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livret.domain.levels import style_of
from livret.services.dto import LearnerDashboard
from livret.ui.dashboard.model import evaluation_detail
from livret.ui.theme import current_theme


class EvaluationDetailWindow(QWidget):
    """A non-modal window at the top of the screen; it stays until the user closes it.

    Signal edit_requested(int): « Modifier l'évaluation… » was clicked (evaluation id).
    """

    edit_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool)
        self.setWindowTitle(self.tr("Détail de l'évaluation"))
        self.setAccessibleName(self.tr("Détail de l'évaluation"))
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("Critère"), self.tr("Niveau"), self.tr("Commentaire")])
        self.tree.setAccessibleName(self.tr("Résultats de l'évaluation"))
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 600)
        self.tree.setColumnWidth(1, 170)
        self._evaluation_id: int | None = None
        self.edit_button = QPushButton(self.tr("&Modifier l'évaluation…"))
        self.edit_button.clicked.connect(self._on_edit)
        close = QPushButton(self.tr("Fermer"))
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.resize(1040, 440)

    def show_evaluation(self, dashboard: LearnerDashboard, evaluation_index: int) -> None:
        """Fill with that evaluation's results for the learner, then show at the screen's top."""
        evaluation = dashboard.evaluations[evaluation_index]
        self._evaluation_id = evaluation.id
        self.setWindowTitle(
            self.tr("%1 — %2").replace("%1", evaluation.short_code).replace("%2", evaluation.title)
        )
        detail = html.escape(evaluation_detail(evaluation), quote=False).replace("\n", "<br>")
        name = html.escape(dashboard.learner.display_name, quote=False)
        self.header.setText(f"<b>{name}</b><br>{detail}")
        self.tree.clear()
        for section in dashboard.sections:
            lines = [
                (row.criterion.label, result)
                for row in section.rows
                for result in row.results
                if result.evaluation_index == evaluation_index
            ]
            if not lines:
                continue
            group = QTreeWidgetItem([section.common_competency.heading])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFirstColumnSpanned(True)
            self.tree.addTopLevelItem(group)
            for label, result in lines:
                style = style_of(result.level)
                item = QTreeWidgetItem(
                    [label, f"{style.symbol}  {style.label}", result.comment or ""]
                )
                item.setToolTip(0, label)
                tile = current_theme().level(result.level)
                item.setBackground(1, QBrush(tile.fill))
                item.setForeground(1, QBrush(tile.text))
                group.addChild(item)
            group.setExpanded(True)
        self._place_at_top()
        self.show()
        self.raise_()

    def result_lines(self) -> list[tuple[str, str, str, str]]:
        """(CC heading, criterion, level, comment) as shown: for tests and accessibility."""
        lines = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            assert group is not None
            for j in range(group.childCount()):
                child = group.child(j)
                assert child is not None
                lines.append((group.text(0), child.text(0), child.text(1), child.text(2)))
        return lines

    def _on_edit(self) -> None:
        if self._evaluation_id is not None:
            self.edit_requested.emit(self._evaluation_id)

    def _place_at_top(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        self.move(area.left() + (area.width() - self.width()) // 2, area.top())
