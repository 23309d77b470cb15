"""The référentiel editor and exchange: draft, tree, forms, dialog, preview and files."""
