"""The bilan intermédiaire: editor, confirmation and unlock dialogs."""
