"""Fichier → Se connecter à un serveur… : where the PostgreSQL server is, and how to trust it.

What is remembered (QSettings) is the connection without its password, ever: the
password is typed for this connection only, or read by PostgreSQL itself from the
user's ~/.pgpass (or a libpq service file).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import quote, urlencode

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from livret.ui import remembered
from livret.ui.messages import error_label

SETTINGS_RECENT = "connections/recent"
MAX_RECENT = 8
DEFAULT_PORT = 5432

# libpq's sslmode values, with what each one protects against.
SSL_MODES: tuple[tuple[str, str, str], ...] = (
    (
        "verify-full",
        "verify-full — chiffré, serveur vérifié (recommandé)",
        "Chiffré ; le certificat du serveur doit être signé par l'autorité (CA) indiquée "
        "et porter le nom du serveur. C'est le seul mode sûr sur le réseau d'un établissement.",
    ),
    (
        "verify-ca",
        "verify-ca — chiffré, autorité vérifiée",
        "Chiffré ; le certificat du serveur doit être signé par l'autorité (CA) indiquée, "
        "mais son nom n'est pas vérifié.",
    ),
    (
        "require",
        "require — chiffré, serveur non vérifié",
        "Toujours chiffré, mais le serveur n'est pas vérifié : un faux serveur sur le "
        "réseau serait accepté.",
    ),
    (
        "prefer",
        "prefer — chiffré si possible",
        "Chiffré si le serveur le propose, sinon en clair ; le serveur n'est pas vérifié.",
    ),
    (
        "disable",
        "disable — sans chiffrement",
        "Aucun chiffrement : les données passent en clair sur le réseau. "
        "À réserver à un serveur sur ce poste.",
    ),
)
VERIFYING_MODES = frozenset({"verify-ca", "verify-full"})


@dataclass(frozen=True, slots=True)
class ServerConnection:
    """A server database as the user described it; never holds a password."""

    host: str = ""
    port: int = DEFAULT_PORT
    database: str = "livret"
    user: str = ""
    sslmode: str = "verify-full"
    sslrootcert: str = ""
    service: str = ""  # a libpq service name: its file then gives everything else

    def url(self) -> str:
        """The --db URL of this connection (without password)."""
        if self.service:
            return "postgresql+psycopg://?" + urlencode({"service": self.service})
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else quote(self.host, safe="")  # IPv6
        port = f":{self.port}" if self.port else ""
        query: dict[str, str] = {"sslmode": self.sslmode}
        if self.sslrootcert and self.sslmode in VERIFYING_MODES:
            query["sslrootcert"] = self.sslrootcert
        return f"postgresql+psycopg://{user}{host}{port}/{quote(self.database, safe='')}?" + (
            urlencode(query)
        )

    def label(self) -> str:
        """How the recent-connections list names it."""
        if self.service:
            return f"service {self.service}"
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.host}:{self.port}/{self.database} ({self.sslmode})"

    def to_dict(self) -> dict[str, str | int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> ServerConnection | None:
        """Read back a remembered entry; None when it is not one (an edited settings file)."""
        if not isinstance(data, dict):
            return None
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, str | int] = {}
        for key, value in data.items():
            if key not in known:
                continue  # e.g. a password some other tool wrote: never read back
            if key == "port":
                if not isinstance(value, int) or not 0 < value < 65536:
                    return None
            elif not isinstance(value, str):
                return None
            values[key] = value
        return cls(**values)  # type: ignore[arg-type]


def recent_connections(settings: QSettings) -> list[ServerConnection]:
    """The remembered connections, most recent first."""
    raw = settings.value(SETTINGS_RECENT, "")
    try:
        entries = json.loads(str(raw)) if raw else []
    except ValueError:
        return []
    if not isinstance(entries, list):
        return []
    found = (ServerConnection.from_dict(entry) for entry in entries)
    return [entry for entry in found if entry is not None][:MAX_RECENT]


def remember_connection(settings: QSettings, connection: ServerConnection) -> None:
    """Put the connection first in the recent list (it carries no password)."""
    kept = [c for c in recent_connections(settings) if c != connection]
    entries = [c.to_dict() for c in [connection, *kept][:MAX_RECENT]]
    settings.setValue(SETTINGS_RECENT, json.dumps(entries, ensure_ascii=False))
    settings.sync()


class ConnectDialog(QDialog):
    """The server, port, database, user, TLS mode and CA certificate; « Se connecter ».

    Accepted, `connection` is what was described (URL without password) and
    `password()` what was typed, if anything (kept in memory for this connection only).
    """

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.connection: ServerConnection | None = None
        self.setWindowTitle(self.tr("Se connecter à un serveur"))
        intro = QLabel(
            self.tr(
                "La base partagée de l'établissement, sur un serveur PostgreSQL. "
                "L'administrateur informatique vous donne ces réglages."
            )
        )
        intro.setWordWrap(True)

        self.recent = QComboBox()
        self.recent.setAccessibleName(self.tr("Connexions récentes"))
        self.recent.addItem(self.tr("Nouvelle connexion"), None)
        for connection in recent_connections(settings):
            self.recent.addItem(connection.label(), connection)
        self.recent.currentIndexChanged.connect(self._on_recent_chosen)

        self.host = QLineEdit()
        self.host.setAccessibleName(self.tr("Serveur"))
        self.host.setPlaceholderText(self.tr("par exemple livret.lycee.local"))
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setAccessibleName(self.tr("Port"))
        self.database = QLineEdit("livret")
        self.database.setAccessibleName(self.tr("Base"))
        self.user = QLineEdit()
        self.user.setAccessibleName(self.tr("Utilisateur"))
        self.user.setPlaceholderText(self.tr("par exemple livret_app"))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Mot de passe du serveur"))
        self.password_edit.setPlaceholderText(
            self.tr("vide : lu dans ~/.pgpass, ou demandé ; jamais enregistré")
        )
        self.sslmode = QComboBox()
        self.sslmode.setAccessibleName(self.tr("Chiffrement (TLS)"))
        for value, label, _explanation in SSL_MODES:
            self.sslmode.addItem(self.tr(label), value)
        self.ssl_explanation = QLabel()
        self.ssl_explanation.setWordWrap(True)
        self.ssl_explanation.setObjectName("sslExplanation")
        self.sslrootcert = QLineEdit()
        self.sslrootcert.setAccessibleName(self.tr("Certificat de l'autorité (CA)"))
        self.sslrootcert.setPlaceholderText(self.tr("vide : ~/.postgresql/root.crt"))
        self.browse_button = QPushButton(self.tr("&Parcourir…"))
        self.browse_button.clicked.connect(self._on_browse)
        certificate = QHBoxLayout()
        certificate.setContentsMargins(0, 0, 0, 0)
        certificate.addWidget(self.sslrootcert, 1)
        certificate.addWidget(self.browse_button)
        self.service = QLineEdit()
        self.service.setAccessibleName(self.tr("Service PostgreSQL"))
        self.service.setPlaceholderText(
            self.tr("facultatif : nom d'un service de ~/.pg_service.conf")
        )
        self.service.textChanged.connect(self._update_enabled)
        self.sslmode.currentIndexChanged.connect(self._update_enabled)

        self.error = error_label()
        self.error.setAccessibleName(self.tr("Erreur"))
        self.buttons = QDialogButtonBox()
        self.connect_button: QPushButton = self.buttons.addButton(
            self.tr("Se connecter"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.connect_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Connexions &récentes :"), self.recent)
        form.addRow(self.tr("&Serveur :"), self.host)
        form.addRow(self.tr("P&ort :"), self.port)
        form.addRow(self.tr("&Base :"), self.database)
        form.addRow(self.tr("&Utilisateur :"), self.user)
        form.addRow(self.tr("&Mot de passe :"), self.password_edit)
        # The explanation sits under its combo box, in the same cell: a row of its own
        # would be given the height of the text wrapped in a narrower column.
        tls = QVBoxLayout()
        tls.setContentsMargins(0, 0, 0, 0)
        tls.addWidget(self.sslmode)
        tls.addWidget(self.ssl_explanation)
        tls_label = QLabel(self.tr("&Chiffrement (TLS) :"))
        tls_label.setBuddy(self.sslmode)
        form.addRow(tls_label, tls)
        certificate_label = QLabel(self.tr("Certificat de l'&autorité :"))
        certificate_label.setBuddy(self.sslrootcert)
        form.addRow(certificate_label, certificate)
        form.addRow(self.tr("Ser&vice :"), self.service)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self._update_enabled()
        if self.recent.count() > 1:
            self.recent.setCurrentIndex(1)  # the last connection used, ready to reuse
            self.password_edit.setFocus()
        else:
            self.host.setFocus()

    def password(self) -> str | None:
        """The typed password, or None to let PostgreSQL find one (~/.pgpass) or ask."""
        return self.password_edit.text() or None

    def described(self) -> ServerConnection:
        """The connection the fields describe now."""
        service = self.service.text().strip()
        if service:
            return ServerConnection(service=service, host="", database="", sslmode="")
        mode = str(self.sslmode.currentData())
        return ServerConnection(
            host=self.host.text().strip(),
            port=self.port.value(),
            database=self.database.text().strip(),
            user=self.user.text().strip(),
            sslmode=mode,
            sslrootcert=self.sslrootcert.text().strip() if mode in VERIFYING_MODES else "",
        )

    def show_connection(self, connection: ServerConnection) -> None:
        self.service.setText(connection.service)
        self.host.setText(connection.host)
        self.port.setValue(connection.port or DEFAULT_PORT)
        self.database.setText(connection.database or "livret")
        self.user.setText(connection.user)
        index = self.sslmode.findData(connection.sslmode or "verify-full")
        self.sslmode.setCurrentIndex(max(index, 0))
        self.sslrootcert.setText(connection.sslrootcert)
        self.password_edit.clear()

    def try_accept(self) -> ServerConnection | None:
        """« Se connecter »: the described connection (and the dialog accepted), or why not."""
        connection = self.described()
        problem = self._problem(connection)
        if problem:
            self.error.setText(problem)
            self.error.show()
            return None
        self.connection = connection
        self.accept()
        return connection

    def _problem(self, connection: ServerConnection) -> str:
        if connection.service:
            return ""
        if not connection.host:
            return self.tr("Indiquez le serveur (son nom ou son adresse).")
        if not connection.database:
            return self.tr("Indiquez le nom de la base.")
        if connection.sslrootcert and not Path(connection.sslrootcert).expanduser().is_file():
            return self.tr("Le certificat de l'autorité « %1 » est introuvable.").replace(
                "%1", connection.sslrootcert
            )
        return ""

    def _on_recent_chosen(self, index: int) -> None:
        connection = self.recent.itemData(index)
        if isinstance(connection, ServerConnection):
            self.show_connection(connection)

    def _on_browse(self) -> None:
        path = self.choose_certificate()
        if path:
            self.sslrootcert.setText(path)

    def choose_certificate(self) -> str:
        """The CA certificate file (a seam tests patch)."""
        path = remembered.open_file(
            self,
            remembered.Purpose.CERTIFICATE,
            self.tr("Certificat de l'autorité (CA)"),
            self.tr("Certificats (*.crt *.pem *.cer);;Tous les fichiers (*)"),
        )
        return str(path) if path else ""

    def _update_enabled(self) -> None:
        by_service = bool(self.service.text().strip())
        for widget in (self.host, self.port, self.database, self.user, self.sslmode):
            widget.setEnabled(not by_service)
        mode = str(self.sslmode.currentData())
        verifying = mode in VERIFYING_MODES and not by_service
        self.sslrootcert.setEnabled(verifying)
        self.browse_button.setEnabled(verifying)
        explanation = next(text for value, _label, text in SSL_MODES if value == mode)
        self.ssl_explanation.setText(
            self.tr("Tous les réglages viennent du fichier de service.")
            if by_service
            else self.tr(explanation)
        )


class ServerPasswordDialog(QDialog):
    """The server's password for this connection only; shows why it is asked (again)."""

    def __init__(self, server: str, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Mot de passe du serveur"))
        intro = QLabel(
            self.tr("Mot de passe du serveur de base de données <b>%1</b> :").replace("%1", server)
        )
        intro.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Mot de passe du serveur"))
        self.reason = error_label()
        if reason:
            self.reason.setText(reason)
            self.reason.show()
        note = QLabel(self.tr("Il n'est pas enregistré."))
        buttons = QDialogButtonBox()
        ok = buttons.addButton(self.tr("Se connecter"), QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason)
        form = QFormLayout()
        form.addRow(self.tr("&Mot de passe :"), self.password)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.password.setFocus()
