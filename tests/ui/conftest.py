"""UI fixtures: the application configured as Livret configures it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from livret.ui.application import configure_application


@pytest.fixture(autouse=True)
def _livret_application(qapp: QApplication) -> None:
    configure_application(qapp)
