"""The fonts of every PDF: DejaVu Sans, shipped in resources/fonts and embedded (subset).

The PDF base fonts (Helvetica…) are never used: they are not embedded, and a viewer
without them substitutes its own. DejaVu covers French completely (é, œ, « », —, ’).

Registering also sets two process-wide reportlab options, for speed: streams are only
zlib-compressed (no ASCII85 layer: smaller files, and its pure-Python encoder was a
tenth of a bilan's rendering time), and graphics shapes skip attribute validation.
"""

from __future__ import annotations

import threading

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from livret.resources import resource_path

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
OBLIQUE = "DejaVuSans-Oblique"

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", OBLIQUE: "DejaVuSans-Oblique.ttf"}
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the DejaVu family with reportlab once per process (thread-safe).

    Paragraph markup <b> and <i> map to the bold and oblique faces; bold italic, which
    is not shipped, falls back to bold.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, file_name in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", file_name))))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, OBLIQUE)
        addMapping(REGULAR, 1, 1, BOLD)
        rl_config.useA85 = 0
        rl_config.shapeChecking = 0
        _registered = True


def text_width(text: str, font: str, size: float) -> float:
    """Width in points of `text` set in a registered font."""
    register_fonts()
    return float(pdfmetrics.stringWidth(text, font, size))
