"""What a screen reader and a keyboard user need of a window: names and the tab order.

`problems(top)` lists every interactive widget of a window or dialog, shown and
enabled, that a screen reader could not name (Qt's accessible name: its own
accessibleName, a button's text, a QLabel buddy's text…) or that Tab never reaches
(no TabFocus in its policy, or outside the window's focus chain).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QTabBar,
    QTextEdit,
    QWidget,
)

INTERACTIVE: tuple[type[QWidget], ...] = (
    QAbstractButton,
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QSlider,
    QTabBar,
)
# Parts of a composite widget: the composite itself is checked, not its insides
# (the line edit of a spin box or an editable combo, an item view's cell editors, the
# scroll buttons of a tab bar, the list of a combo's popup).
_COMPOSITES: tuple[type[QWidget], ...] = (QAbstractSpinBox, QComboBox, QAbstractItemView, QTabBar)


# Editors and views: Qt names a combo by its current text and a view by nothing, which
# tells a screen-reader user what is chosen, not what the control is for. Theirs must
# come from an accessible name set in the code or from a QLabel whose buddy they are.
_LABELLED: tuple[type[QWidget], ...] = (
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QSlider,
)


def accessible_name(widget: QWidget) -> str:
    """The name a screen reader says (Qt's accessible interface)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    if interface is None:
        return ""
    return interface.text(QAccessible.Text.Name).strip()


def purpose_name(widget: QWidget) -> str:
    """What the control is for: for an editor or a view, its set name or its label's."""
    if not isinstance(widget, _LABELLED):
        return accessible_name(widget)
    if widget.accessibleName().strip():
        return widget.accessibleName().strip()
    for label in widget.window().findChildren(QLabel):
        if label.buddy() is widget and label.text().strip():
            return label.text().replace("&", "").strip()
    return ""


def describe(widget: QWidget) -> str:
    """The widget as a developer finds it: class, object name, text, where it sits."""
    parts = [type(widget).__name__]
    if widget.objectName():
        parts.append(f"#{widget.objectName()}")
    text = getattr(widget, "text", None)
    if callable(text):
        try:
            shown = text()
        except TypeError:
            shown = ""
        if isinstance(shown, str) and shown:
            parts.append(f"« {shown[:30]} »")
    if widget.toolTip():
        parts.append(f"(bulle « {widget.toolTip()[:40]} »)")
    chain = []
    parent = widget.parentWidget()
    while parent is not None and len(chain) < 3:
        chain.append(
            type(parent).__name__ + (f"#{parent.objectName()}" if parent.objectName() else "")
        )
        parent = parent.parentWidget()
    return " ".join(parts) + " dans " + " < ".join(chain)


def _inside_composite(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, _COMPOSITES):
            return True
        parent = parent.parentWidget()
    return False


def focus_chain(top: QWidget) -> set[int]:
    """Every widget Tab can reach inside `top` (ids: PySide wrappers are not stable keys)."""
    reached: set[int] = set()
    widget = top.nextInFocusChain()
    for _ in range(10_000):
        if widget is None or widget is top:
            break
        reached.add(id(widget))
        widget = widget.nextInFocusChain()
    return reached


def interactive_widgets(top: QWidget) -> list[QWidget]:
    found = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE):
            continue
        if widget.window() is not top:  # a child window is walked on its own
            continue
        if not widget.isVisibleTo(top) or not widget.isEnabled():
            continue
        if _inside_composite(widget, top):
            continue
        found.append(widget)
    return found


def problems(top: QWidget) -> list[str]:
    """One French line per widget a screen-reader or keyboard user could not use."""
    chain = focus_chain(top)
    found: list[str] = []
    for widget in interactive_widgets(top):
        if not purpose_name(widget):
            found.append(f"sans nom accessible : {describe(widget)}")
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            found.append(f"hors de l'ordre de tabulation : {describe(widget)}")
        elif id(widget) not in chain:
            found.append(f"absent de la chaîne de tabulation : {describe(widget)}")
    return found
