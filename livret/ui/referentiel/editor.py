"""The référentiel editor dialog: a specialty's competencies and criteria, each mapped to a CC.

The dialog edits a draft (draft.py): the référentiel's JSON shape (referentiel_to_json),
shown by the tree (tree.py) and edited in place through the forms (forms.py); its widgets
are laid out by layout.py.
"Enregistrer…" validates the draft with parse_referentiel, then shows the service's
preview (ReferentielPreviewDialog) and applies it on "Appliquer". Ids and codes already in
the database are read-only: results and bilans name them. Removing an item the service
would refuse (a criterion with results, a specialty followed by classes) is refused at
once, with the service's own reasons.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QTreeWidgetItem, QWidget

from livret.domain.errors import LivretError
from livret.domain.referentiel import InvalidReferentiel, Referentiel, parse_referentiel
from livret.services.container import Services
from livret.services.referentiel import ReferentielPreview, ReferentielService
from livret.ui import messages
from livret.ui.messages import UnsavedChoice, ask_unsaved
from livret.ui.referentiel.draft import Kind, ReferentielDraft
from livret.ui.referentiel.exchange import (
    ExportFormat,
    ReferentielPreviewDialog,
    export_referentiel,
    import_referentiel,
    open_preview,
    referentiel_service,
)
from livret.ui.referentiel.layout import EditorLayout
from livret.ui.referentiel.tree import Node
from livret.ui.text import count


class ReferentielEditor(QDialog, EditorLayout):
    """Edit the specialties' competencies and criteria, then save through the preview.

    Signals:
        referentiel_changed(object): a new version was applied (its ReferentielPreview);
            dashboards, criteria lists and overviews should reload.
    """

    referentiel_changed = Signal(object)

    def __init__(self, service: ReferentielService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._draft = ReferentielDraft(service.current())
        self._current: Node | None = None
        self._close_after_apply = False
        self.preview_dialog: ReferentielPreviewDialog | None = None
        self.setWindowTitle(self.tr("Référentiel"))
        self.resize(1240, 760)
        self.setup_layout(self, service.may_edit)
        self._connect_signals()
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        self._show_draft()
        self.tree.setFocus()

    def _connect_signals(self) -> None:
        self.version_edit.textChanged.connect(self._on_version_changed)
        self.search.textChanged.connect(self._filter_tree)
        self.tree.currentItemChanged.connect(self._on_current_item_changed)
        self.add_specialty_button.clicked.connect(self.add_specialty)
        self.add_competency_button.clicked.connect(self.add_competency)
        self.add_criterion_button.clicked.connect(self.add_criterion)
        self.remove_button.clicked.connect(self.remove_current)
        self.forms.edited.connect(self._on_field_edited)
        self.problem_list.itemActivated.connect(lambda item: self._select_problem(item.text()))
        self.problem_list.itemClicked.connect(lambda item: self._select_problem(item.text()))
        # clicked(bool) would land in the path parameter.
        self.import_button.clicked.connect(lambda: self.import_file())
        self.export_button.clicked.connect(lambda: self.export_file())
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.reject)

    # -- loading -------------------------------------------------------------------

    def reload(self, select: tuple[str, ...] | None = None) -> None:
        """Read the stored référentiel again; the draft's edits are dropped."""
        self._draft = ReferentielDraft(self._service.current())
        self._show_draft(select)

    def _show_draft(self, select: tuple[str, ...] | None = None) -> None:
        base = self._draft.base
        self.forms.fill_cc_combo(base.common_competencies)
        self.tree.cc_titles = self.forms.cc_titles
        self.title_label.setText(base.title)
        with QSignalBlocker(self.version_edit):
            self.version_edit.setText(base.version)
        self._show_problems(())
        self._rebuild_tree(select)

    def _rebuild_tree(self, select: tuple[str, ...] | None = None) -> None:
        if select is None and self._current is not None:
            select = self._current.key()
        self._current = None
        target = self.tree.rebuild(self._draft, select)
        if target is not None:
            self.tree.setCurrentItem(target.item)
            self.tree.scrollToItem(target.item)
        else:
            self._on_current_item_changed(None, None)
        self._filter_tree(self.search.text())
        self._update_state()

    @property
    def _nodes(self) -> dict[int, Node]:
        """The tree's rows (tests look them up)."""
        return self.tree.nodes

    def _find(self, key: tuple[str, ...] | None) -> Node | None:
        return self.tree.node_with_key(key)

    # -- selection and editing -----------------------------------------------------

    @property
    def current_node(self) -> Node | None:
        return self._current

    def _on_current_item_changed(
        self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None
    ) -> None:
        self._current = self.tree.node_of(current)
        self.forms.show_node(self._current)
        self._update_state()

    def _on_field_edited(self, name: str, value: Any) -> None:
        node = self._current
        if node is None or not self._service.may_edit:
            return
        self._draft.set_field(node.data, name, value)
        if name == "cc":
            self.forms.show_cc_title()
        self.tree.paint(node)
        if node.parent is not None:
            self.tree.paint(node.parent)
        self._update_state()

    def _on_version_changed(self, text: str) -> None:
        if self._service.may_edit:
            self._draft.set_version(text)
            self._update_state()

    # -- adding and removing -------------------------------------------------------

    def _ancestor(self, kind: Kind) -> Node | None:
        return self._current.ancestor(kind) if self._current is not None else None

    def add_specialty(self) -> Node | None:
        """A new, empty specialty at the end; its code is typed first."""
        if not self._service.may_edit:
            return None
        return self._after_add(self._draft.add_specialty(), self.forms.specialty_code)

    def add_competency(self) -> Node | None:
        """A new competency at the end of the selected specialty, with a proposed code."""
        specialty = self._ancestor(Kind.SPECIALTY)
        if specialty is None or not self._service.may_edit:
            return None
        data = self._draft.add_competency(specialty.data)
        return self._after_add(data, self.forms.competency_title)

    def add_criterion(self) -> Node | None:
        """A new criterion at the end of the selected competency, id like MSPC-C1-01."""
        competency = self._ancestor(Kind.COMPETENCY)
        if competency is None or competency.parent is None or not self._service.may_edit:
            return None
        data = self._draft.add_criterion(competency.parent.code, competency.data)
        return self._after_add(data, self.forms.criterion_text)

    def _after_add(self, data: dict[str, Any], focus: QWidget) -> Node | None:
        self._rebuild_tree(select=None)
        node = self.tree.node_with_data(data)
        if node is not None:
            self.tree.setCurrentItem(node.item)
            self.tree.scrollToItem(node.item)
            focus.setFocus()
        self.status.clear()
        return node

    def remove_current(self) -> bool:
        """Remove the selected item (and what it holds) from the draft.

        An item already in the database is first checked with the service: if it is
        in use, the service's reasons are shown and the draft does not change.
        """
        node = self._current
        if node is None or not self._service.may_edit:
            return False
        if node.stored is not None:
            problems = self._removal_problems(node)
            if problems is None:
                return False
            if problems:
                messages.show_error(
                    self,
                    "\n".join(
                        [
                            self.tr("« %1 » ne peut pas être supprimé :").replace("%1", node.code),
                            *(f"- {p}" for p in problems),
                        ]
                    ),
                )
                return False
        parent = node.parent
        neighbour = self._draft.remove(node.kind, node.data, parent.data if parent else None)
        self._current = None
        self._rebuild_tree(select=None)
        # Select the next sibling, else the previous one, else the parent.
        target = self.tree.node_with_data(neighbour) or (
            self._find(parent.key()) if parent else None
        )
        if target is not None:
            self.tree.setCurrentItem(target.item)
        return True

    def _removal_problems(self, node: Node) -> tuple[str, ...] | None:
        """Why the stored version could not lose this item (None: the check failed)."""
        candidate = self._draft.stored_without(node.key())
        try:
            return self._service.preview(parse_referentiel(candidate)).problems
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None

    # -- state, filter, problems ---------------------------------------------------

    def is_dirty(self) -> bool:
        """The draft differs from the stored version."""
        return self._draft.is_dirty()

    def _update_state(self) -> None:
        editable = self._service.may_edit
        dirty = self.is_dirty()
        self.save_button.setEnabled(editable and dirty)
        self.revert_button.setEnabled(editable and dirty)
        self.add_specialty_button.setEnabled(editable)
        self.add_competency_button.setEnabled(
            editable and self._ancestor(Kind.SPECIALTY) is not None
        )
        self.add_criterion_button.setEnabled(
            editable and self._ancestor(Kind.COMPETENCY) is not None
        )
        self.remove_button.setEnabled(editable and self._current is not None)
        title = self.tr("Référentiel")
        self.setWindowTitle(f"{title} *" if dirty else title)

    def _filter_tree(self, text: str) -> None:
        self.tree.apply_search(text, keep=self._current)

    def _show_problems(self, problems: tuple[str, ...] | list[str]) -> None:
        self.problem_list.clear()
        self.problem_list.addItems(list(problems))
        self.problems_label.setVisible(bool(problems))
        self.problem_list.setVisible(bool(problems))

    def problems(self) -> list[str]:
        """The validation problems shown under the tree."""
        return [
            item.text()
            for row in range(self.problem_list.count())
            if (item := self.problem_list.item(row)) is not None
        ]

    def _select_problem(self, text: str) -> None:
        """Go to the item a validation problem names (« Critère X : … »)."""
        target = self.tree.find_problem(text)
        if target is not None:
            self.tree.setCurrentItem(target.item)
            self.tree.scrollToItem(target.item)

    # -- saving --------------------------------------------------------------------

    def build_new_version(self) -> Referentiel | None:
        """The draft as a checked référentiel, or None (its problems are then listed)."""
        try:
            new = parse_referentiel(self._draft.data)
        except InvalidReferentiel as exc:
            self._show_problems(exc.problems)
            return None
        self._show_problems(())
        return new

    def save(self) -> ReferentielPreviewDialog | None:
        """Enregistrer…: validate, then show the preview; "Appliquer" writes the new version."""
        if not self._service.may_edit or not self.is_dirty():
            return None
        new = self.build_new_version()
        if new is None:
            self.status.clear()
            return None
        notes: list[str] = []
        try:
            if self._service.current() != self._draft.base:
                notes.append(
                    self.tr(
                        "le référentiel a été modifié ailleurs depuis l'ouverture de l'éditeur : "
                        "les changements ci-dessous peuvent défaire ceux-là. Annulez et "
                        "rouvrez l'éditeur en cas de doute."
                    )
                )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        dialog = open_preview(self, self._service, new, notes=notes)
        self.preview_dialog = dialog
        if dialog is not None:
            dialog.applied.connect(self._on_applied)
            dialog.rejected.connect(self._on_preview_rejected)
        return dialog

    def _on_preview_rejected(self) -> None:
        self._close_after_apply = False

    def _on_applied(self, preview: ReferentielPreview) -> None:
        select = self._current.key() if self._current is not None else None
        self._current = None
        self._reload_or_report(select)
        self.status.setText(
            self.tr("Référentiel enregistré : %1.").replace(
                "%1", count(len(preview.changes.lines()), "changement")
            )
        )
        self.referentiel_changed.emit(preview)
        if self._close_after_apply:
            self._close_after_apply = False
            super().reject()

    def _reload_or_report(self, select: tuple[str, ...] | None = None) -> None:
        try:
            self.reload(select)
        except LivretError as exc:
            messages.show_error(self, exc.message)

    def revert(self) -> None:
        """Annuler les modifications: back to the stored version."""
        select = self._current.key() if self._current is not None else None
        self._current = None
        self._reload_or_report(select)
        self.status.clear()

    # -- exchange ------------------------------------------------------------------

    def import_file(self, path: Path | None = None) -> ReferentielPreviewDialog | None:
        """Importer…: a JSON file replaces the référentiel after its preview."""
        if self.is_dirty():
            messages.show_error(
                self,
                self.tr(
                    "Enregistrez ou annulez d'abord vos modifications : l'import remplace "
                    "tout le référentiel."
                ),
            )
            return None
        dialog = import_referentiel(self, self._service, path)
        self.preview_dialog = dialog
        if dialog is not None:
            dialog.applied.connect(self._on_applied)
        return dialog

    def export_file(self, path: Path | None = None, fmt: ExportFormat = "json") -> Path | None:
        """Exporter…: the stored version (not the unsaved edits) as JSON or CASE."""
        written = export_referentiel(self, self._service, path, fmt)
        if written is not None:
            self.status.setText(self.tr("Exporté dans « %1 ».").replace("%1", str(written)))
        return written

    def reject(self) -> None:
        """Override QDialog::reject (Escape, Fermer, the window's close): no silent loss.

        QDialog::closeEvent goes through reject(); not calling the base keeps it open.
        """
        if self.is_dirty() and self._service.may_edit:
            choice = ask_unsaved(
                self,
                self.tr("Le référentiel a des modifications non enregistrées."),
                # Saving opens the preview first.
                save_label=self.tr("Enregistrer…"),
            )
            if choice is UnsavedChoice.CANCEL:
                return
            if choice is UnsavedChoice.SAVE:
                # The preview decides: the editor closes once the version is applied.
                self._close_after_apply = self.save() is not None
                return
        super().reject()


def open_referentiel_editor(
    parent: QWidget | None, services: Services | ReferentielService
) -> ReferentielEditor | None:
    """Show the référentiel editor (not modal); None if the référentiel cannot be read.

    Connect `referentiel_changed` to reload what shows criteria or CCs.
    """
    try:
        editor = ReferentielEditor(referentiel_service(services), parent)
    except LivretError as exc:
        if parent is not None:
            messages.show_error(parent, exc.message)
        return None
    editor.show()
    return editor
