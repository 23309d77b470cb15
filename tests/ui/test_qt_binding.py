"""Guard against a Qt binding that over-releases None (PySide6 6.12.0 on Python 3.11).

Each empty QVariant turned into None by that release dropped one reference to None;
the interpreter then crashed at exit ("deallocating None"). The pinned release must not.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox


def test_empty_qvariants_do_not_release_none() -> None:
    model = QStandardItemModel()
    model.appendRow(QStandardItem("Lefèvre Chloé"))
    index = model.index(0, 0)
    combo = QComboBox()
    combo.addItem("1PLP1")
    before = sys.getrefcount(None)
    for _ in range(1000):
        assert index.data(Qt.ItemDataRole.UserRole + 7) is None
        assert QModelIndex().data() is None
        assert combo.itemData(5) is None
    assert sys.getrefcount(None) >= before
