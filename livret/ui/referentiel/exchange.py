"""Référentiel exchange from the GUI: the preview of a new version, import from JSON, export.

The same preview dialog serves the editor ("Enregistrer…") and the import: it lists
what the new version changes, or why it is refused, and applies it on "Appliquer".
Nothing is written before that click, and ReferentielService checks everything again
inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import ConflictError, LivretError
from livret.domain.referentiel import Referentiel, load_referentiel_file
from livret.services.container import Services
from livret.services.referentiel import ReferentielPreview, ReferentielRefused, ReferentielService
from livret.ui import messages, remembered
from livret.ui.theme import Theme, css, current_theme, follow_theme, themed_style_sheet

ExportFormat = Literal["json", "case"]

PROBLEM_ROLE = "error_text"
WARNING_ROLE = "attention_text"
"""The theme roles (livret.ui.theme.Theme) of a refused line and a warning line."""
LINE_ROLE = Qt.ItemDataRole.UserRole + 1
JSON_FILTER = "Référentiel Livret, JSON (*.json)"
CASE_FILTER = "Paquet 1EdTech CASE, JSON (*.json)"


def referentiel_service(source: Services | ReferentielService) -> ReferentielService:
    """The référentiel use cases acting as the window's current user."""
    if isinstance(source, ReferentielService):
        return source
    return ReferentielService(source.database, source.actor)


def choose_referentiel_file(parent: QWidget) -> Path | None:
    """The référentiel JSON file to import, or None (a seam tests patch)."""
    return remembered.open_file(
        parent,
        remembered.Purpose.REFERENTIEL_IMPORT,
        parent.tr("Importer un référentiel"),
        parent.tr("Référentiel JSON (*.json);;Tous les fichiers (*)"),
    )


def choose_export_file(parent: QWidget, suggested: str) -> tuple[Path, ExportFormat] | None:
    """Where to export and in which format (chosen by the file type), or None (a seam)."""
    json_filter, case_filter = parent.tr(JSON_FILTER), parent.tr(CASE_FILTER)
    answer = remembered.save_file(
        parent,
        remembered.Purpose.REFERENTIEL_EXPORT,
        parent.tr("Exporter le référentiel"),
        suggested,
        f"{json_filter};;{case_filter}",
    )
    if answer is None:
        return None
    path, chosen = answer
    return path, "case" if chosen == case_filter else "json"


class ReferentielPreviewDialog(QDialog):
    """What a new version of the référentiel changes; "Appliquer" writes it.

    Shown with open() (never exec()), so tests and the editor follow its signals.

    Signals:
        applied(object): the version was written; carries its ReferentielPreview
            (applied=True). Every view showing criteria or CCs should reload.
    """

    applied = Signal(object)

    def __init__(
        self,
        service: ReferentielService,
        new: Referentiel,
        preview: ReferentielPreview,
        *,
        source_name: str | None = None,
        notes: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._new = new
        self._source_name = source_name
        self._notes = tuple(notes)
        self.preview = preview
        self.setWindowTitle(
            self.tr("Importer « %1 »").replace("%1", source_name)
            if source_name
            else self.tr("Enregistrer le référentiel")
        )
        self.resize(820, 580)

        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("Aperçu des changements"))
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        layout.addWidget(heading)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.lines = QListWidget()
        self.lines.setWordWrap(True)
        self.lines.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        # Reached by Tab so that a keyboard user can scroll it with the arrows.
        self.lines.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.lines.setAccessibleName(self.tr("Problèmes, avertissements et changements"))
        layout.addWidget(self.lines, 1)
        hint = QLabel(
            self.tr(
                "Rien n'est enregistré avant « Appliquer ». Les bilans définitifs ne sont "
                "jamais recalculés."
            )
        )
        hint.setWordWrap(True)
        themed_style_sheet(hint, lambda theme: f"color: {css(theme.hint_text)};")
        layout.addWidget(hint)

        buttons = QDialogButtonBox()
        self.apply_button = QPushButton(self.tr("Appliquer"))
        self.cancel_button = QPushButton(self.tr("Annuler"))
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self._show(preview)
        follow_theme(self, self._on_theme_changed)

    @property
    def can_apply(self) -> bool:
        return self.preview.ok and self.preview.has_changes

    def line_texts(self) -> list[str]:
        """The listed lines, as shown."""
        return [item.text() for item in _items(self.lines)]

    def _show(self, preview: ReferentielPreview) -> None:
        self.preview = preview
        self.summary.setText(preview.summary())
        self.lines.clear()
        for problem in preview.problems:
            self._add(self.tr("Refusé : %1").replace("%1", problem), PROBLEM_ROLE)
        for warning in (*self._notes, *preview.warnings):
            self._add(self.tr("Attention : %1").replace("%1", warning), WARNING_ROLE)
        for line in preview.changes.lines():
            self._add(line, None)
        if not self.lines.count():
            self._add(self.tr("Aucun changement."), None)
        self.apply_button.setEnabled(self.can_apply)
        self.apply_button.setDefault(self.can_apply)
        self.cancel_button.setText(self.tr("Annuler") if self.can_apply else self.tr("Fermer"))

    def _add(self, text: str, role: str | None) -> None:
        item = QListWidgetItem(text)
        item.setToolTip(text)
        if role is not None:
            item.setData(LINE_ROLE, role)
            item.setForeground(QBrush(getattr(current_theme(), role)))
        self.lines.addItem(item)

    def _on_theme_changed(self, theme: Theme) -> None:
        """The items keep the brushes they were given: give them the new colours."""
        for item in _items(self.lines):
            if role := item.data(LINE_ROLE):
                item.setForeground(QBrush(getattr(theme, role)))

    def apply(self) -> bool:
        """Write the new version; on refusal the dialog stays open and lists why."""
        if not self.can_apply:
            return False
        try:
            done = self._service.apply(
                self._new, source_name=self._source_name, previewed=self.preview
            )
        except ReferentielRefused as exc:
            # Someone changed the database since the preview: show the fresh reasons.
            self._show(exc.preview)
            return False
        except ConflictError as exc:
            # Changed elsewhere since this preview: say so, then show what applying
            # would now change; a second « Appliquer » applies that, knowingly.
            messages.show_error(self, exc.message)
            try:
                self._show(self._service.preview(self._new))
            except LivretError as again:
                messages.show_error(self, again.message)
            return False
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return False
        self.preview = done
        self.applied.emit(done)
        self.accept()
        return True


def open_preview(
    parent: QWidget,
    service: ReferentielService,
    new: Referentiel,
    *,
    source_name: str | None = None,
    notes: Sequence[str] = (),
) -> ReferentielPreviewDialog | None:
    """Compute the preview of `new` and show it (window-modal, not blocking), or say why not."""
    try:
        preview = service.preview(new)
    except LivretError as exc:
        messages.show_error(parent, exc.message)
        return None
    dialog = ReferentielPreviewDialog(
        service, new, preview, source_name=source_name, notes=notes, parent=parent
    )
    dialog.open()
    return dialog


def import_referentiel(
    parent: QWidget, services: Services | ReferentielService, path: Path | None = None
) -> ReferentielPreviewDialog | None:
    """Importer un référentiel…: read the JSON file, check it, show the preview.

    Returns the open preview dialog (connect its `applied` signal to reload the
    views), or None when no file was chosen or the file is unreadable or invalid
    (the reasons were shown with show_error).
    """
    service = referentiel_service(services)
    if not service.may_edit:
        messages.show_error(
            parent,
            parent.tr(
                "Seuls les enseignants, le DDFPT et l'administrateur modifient le référentiel."
            ),
        )
        return None
    if path is None:
        path = choose_referentiel_file(parent)
        if path is None:
            return None
    try:
        new = load_referentiel_file(path)
    except LivretError as exc:
        messages.show_error(parent, exc.message)
        return None
    return open_preview(parent, service, new, source_name=path.name)


def export_referentiel(
    parent: QWidget,
    services: Services | ReferentielService,
    path: Path | None = None,
    fmt: ExportFormat = "json",
) -> Path | None:
    """Exporter le référentiel…: the stored version as JSON or as a 1EdTech CASE package.

    Without `path`, a file dialog asks where, and its file type chooses the format.
    Returns the written file, or None (cancelled, or the error was shown).
    """
    service = referentiel_service(services)
    if path is None:
        try:
            ref_id = service.current().id
        except LivretError as exc:
            messages.show_error(parent, exc.message)
            return None
        chosen = choose_export_file(parent, f"{ref_id}.json")
        if chosen is None:
            return None
        path, fmt = chosen
    if not path.suffix:
        path = path.with_suffix(".json")
    try:
        content = service.export_case() if fmt == "case" else service.export_json()
        path.write_bytes(content)
    except LivretError as exc:
        messages.show_error(parent, exc.message)
        return None
    except OSError as exc:
        messages.show_error(
            parent,
            parent.tr("Impossible d'écrire « %1 » : %2")
            .replace("%1", str(path))
            .replace("%2", exc.strerror or str(exc)),
        )
        return None
    return path


def _items(widget: QListWidget) -> list[QListWidgetItem]:
    return [item for row in range(widget.count()) if (item := widget.item(row)) is not None]
