"""argparse's own texts in French (« utilisation : », errors, help of -h), from a gettext catalogue.

argparse (3.11 to 3.14) translates its fixed texts with ``_()`` and ``ngettext()``,
two names it binds at import (``from gettext import gettext as _, ngettext``) and
looks up in its module globals at each call. Binding those two names to a
``gettext.translation`` of Livret's catalogue gives French to argparse alone: the
global gettext domain (``gettext.textdomain``) and the user's LANG stay untouched,
and Livret speaks French whatever the terminal's language, as its windows do.

The catalogue is ``resources/locale/fr/LC_MESSAGES/livret-cli.po``, compiled to the
``.mo`` beside it (committed; tests/cli/test_cli_french.py checks they agree and
that every message of the running argparse is translated).
"""

from __future__ import annotations

import argparse
import gettext

from livret.resources import resource_roots

DOMAIN = "livret-cli"


def french_catalogue() -> gettext.NullTranslations:
    """Livret's French catalogue for argparse; an empty one (English) if it is missing."""
    for root in resource_roots():
        folder = root / "locale"
        if gettext.find(DOMAIN, str(folder), languages=["fr"]):
            return gettext.translation(DOMAIN, str(folder), languages=["fr"])
    return gettext.NullTranslations()


def install_argparse_french() -> None:
    """Make every ArgumentParser of this process speak French (idempotent)."""
    catalogue = french_catalogue()
    # setattr: the two names are argparse's module globals, not in its typeshed stub.
    setattr(argparse, "_", catalogue.gettext)  # noqa: B010
    setattr(argparse, "ngettext", catalogue.ngettext)  # noqa: B010
