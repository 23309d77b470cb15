"""Where the main window finds the référentiel editor (it lives in livret.ui.referentiel).

Patch the editor's seams (ask_unsaved) in livret.ui.referentiel.editor, where they are called.
"""

from livret.ui.referentiel.draft import Kind
from livret.ui.referentiel.editor import ReferentielEditor, open_referentiel_editor

__all__ = ["Kind", "ReferentielEditor", "open_referentiel_editor"]
