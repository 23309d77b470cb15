"""The establishment's name, UAI, city and logo: read by anyone, changed by the Administrateur.

They head every bilan PDF. The logo is stored as sent (PNG or JPEG bytes) once it has
been decoded in full with Pillow: a file that is not an image, a truncated one, or a
decompression bomb (a small file declaring a huge picture) is refused before anything
is written.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal

from PIL import Image
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from livret.domain.errors import ValidationError
from livret.domain.permissions import Action, require
from livret.domain.roles import Actor
from livret.services import audit
from livret.services.database import DEFAULT_ESTABLISHMENT, Database
from livret.storage import models

UPDATED_ACTION = "establishment_updated"

MAX_NAME = 200
MAX_CITY = 100
MAX_LOGO_BYTES = 1024 * 1024
"""1 Mo: a logo printed 15 mm high needs far less; the row stays small to read."""
MAX_LOGO_SIDE = 4000
"""Pixels on either side: Pillow reads the size from the header, before decoding."""

UAI_PATTERN = re.compile(r"[0-9]{7}[A-Z]")
UAI_KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
"""The UAI's key: the 7-digit number modulo 23, as a letter (no I, O nor Q)."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""`update(logo=KEEP)`: leave the stored logo as it is."""


@dataclass(frozen=True, slots=True)
class EstablishmentInfo:
    """The establishment as the PDFs print it."""

    name: str
    uai: str | None
    city: str | None
    logo: bytes | None
    """PNG or JPEG bytes, checked when stored; None: no logo."""

    @property
    def logo_format(self) -> str | None:
        """'PNG' or 'JPEG' (from the stored bytes' signature); None without a logo."""
        if self.logo is None:
            return None
        return "PNG" if self.logo.startswith(_PNG_SIGNATURE) else "JPEG"


class EstablishmentService:
    """The establishment's row (one per database).

    Reading needs no permission: the name, UAI and city are public facts printed on
    every bilan, which a learner holds too, and no personal data is among them.
    Changing them is the Administrateur's (Action.MANAGE_ESTABLISHMENT).
    """

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    def info(self) -> EstablishmentInfo:
        with self._database.snapshot() as connection:
            return read_establishment(connection)

    def update(
        self,
        name: str,
        uai: str | None,
        city: str | None,
        logo: bytes | Literal[_Keep.KEEP] | None = KEEP,
    ) -> EstablishmentInfo:
        """Store the establishment's details; every refusal comes before any write.

        `uai` and `city` may be empty (not printed); `logo=None` removes the logo.
        """
        require(self._actor, Action.MANAGE_ESTABLISHMENT)
        values: dict[str, object] = {
            "name": checked_name(name),
            "uai": checked_uai(uai),
            "city": checked_city(city),
        }
        if logo is not KEEP:
            values["logo"] = checked_logo(logo) if logo is not None else None
        with self._database.transaction() as session:
            establishment_id, before = _current(session)
            changes = _describe_changes(before, values)
            if not changes:
                return before
            if establishment_id is None:
                session.execute(insert(models.Establishment).values(**values))
            else:
                session.execute(
                    update(models.Establishment)
                    .where(models.Establishment.id == establishment_id)
                    .values(**values)
                )
            audit.record(
                session,
                self._actor,
                UPDATED_ACTION,
                "establishment",
                establishment_id,
                " ; ".join(changes),
            )
        return self.info()


# -- reading --------------------------------------------------------------------------


def read_establishment(connection: Connection) -> EstablishmentInfo:
    """The establishment, in the caller's snapshot (ExportService reads it with the bilans)."""
    establishment = models.Establishment
    row = connection.execute(
        select(establishment.name, establishment.uai, establishment.city, establishment.logo)
        .order_by(establishment.id)
        .limit(1)
    ).first()
    if row is None:
        return EstablishmentInfo(DEFAULT_ESTABLISHMENT, None, None, None)
    return EstablishmentInfo(row[0], row[1], row[2], _bytes(row[3]))


def _bytes(value: object) -> bytes | None:
    """LargeBinary comes back as bytes, or as a memoryview from some drivers."""
    if isinstance(value, memoryview):
        return value.tobytes()
    return value if isinstance(value, bytes) else None


def _current(session: Session) -> tuple[int | None, EstablishmentInfo]:
    establishment = models.Establishment
    row = session.execute(
        select(
            establishment.id,
            establishment.name,
            establishment.uai,
            establishment.city,
            establishment.logo,
        )
        .order_by(establishment.id)
        .limit(1)
        .with_for_update()
    ).first()
    if row is None:
        return None, EstablishmentInfo(DEFAULT_ESTABLISHMENT, None, None, None)
    return row[0], EstablishmentInfo(row[1], row[2], row[3], _bytes(row[4]))


def _describe_changes(before: EstablishmentInfo, values: dict[str, object]) -> list[str]:
    """What the journal says changed, in French (the logo by its fate, never its bytes)."""
    changes: list[str] = []
    for key, label in (("name", "nom"), ("uai", "UAI"), ("city", "ville")):
        old, new = getattr(before, key), values[key]
        if old != new:
            changes.append(f"{label} : {old or '(aucun)'} → {new or '(aucun)'}")
    if "logo" in values and values["logo"] != before.logo:
        if values["logo"] is None:
            changes.append("logo retiré")
        else:
            changes.append("logo ajouté" if before.logo is None else "logo remplacé")
    return changes


# -- checks (also used by the CLI and the dialog to word a refusal) --------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c)[0] == "C" for c in text)


def checked_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise ValidationError("Indiquez le nom de l'établissement.")
    if len(cleaned) > MAX_NAME or _has_control(cleaned):
        raise ValidationError(
            f"Nom de l'établissement refusé : {MAX_NAME} caractères au plus, "
            "sur une ligne, sans caractère de contrôle."
        )
    return cleaned


def checked_city(city: str | None) -> str | None:
    cleaned = (city or "").strip()
    if not cleaned:
        return None
    if len(cleaned) > MAX_CITY or _has_control(cleaned):
        raise ValidationError(
            f"Ville refusée : {MAX_CITY} caractères au plus, sur une ligne, "
            "sans caractère de contrôle."
        )
    return cleaned


def uai_key(digits: str) -> str:
    """The key letter of a UAI's seven digits: 0750654 → D (lycée Louis-le-Grand)."""
    return UAI_KEY_LETTERS[int(digits) % 23]


def checked_uai(uai: str | None) -> str | None:
    """The UAI in capitals (0750654D), None when empty; refused unless 7 digits + its key."""
    cleaned = (uai or "").strip().upper()
    if not cleaned:
        return None
    if not UAI_PATTERN.fullmatch(cleaned):
        shown = (uai or "").strip()[:20]
        raise ValidationError(
            f"UAI « {shown} » refusé : 7 chiffres suivis d'une lettre sont attendus "
            "(par exemple 0750654D)."
        )
    expected = uai_key(cleaned[:7])
    if cleaned[7] != expected:
        raise ValidationError(
            f"UAI « {cleaned} » refusé : sa lettre clé ne correspond pas à ses chiffres "
            f"(attendu : {cleaned[:7]}{expected}). Vérifiez le numéro."
        )
    return cleaned


def checked_logo(data: bytes) -> bytes:
    """The logo's bytes, unchanged, once Pillow has decoded them in full as PNG or JPEG."""
    if not data:
        raise ValidationError("Le fichier du logo est vide.")
    if len(data) > MAX_LOGO_BYTES:
        megabytes = f"{len(data) / (1024 * 1024):.1f}".replace(".", ",")
        limit = MAX_LOGO_BYTES // (1024 * 1024)
        raise ValidationError(f"Logo refusé : le fichier fait {megabytes} Mo, {limit} Mo au plus.")
    if not (data.startswith(_PNG_SIGNATURE) or data.startswith(_JPEG_SIGNATURE)):
        raise ValidationError("Logo refusé : seules les images PNG ou JPEG sont acceptées.")
    unreadable = ValidationError(
        "Logo refusé : l'image est illisible ou incomplète (PNG ou JPEG attendu)."
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, past Image.MAX_IMAGE_PIXELS: a bomb either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
                width, height = image.size
                if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
                    raise _TooLarge(width, height)
                image.verify()  # PNG: every chunk's CRC
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
                image.load()  # decodes every pixel: a truncated file fails here
    except _TooLarge as exc:
        raise ValidationError(
            f"Logo refusé : {exc.width} × {exc.height} pixels, "
            f"{MAX_LOGO_SIDE} × {MAX_LOGO_SIDE} au plus."
        ) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(
            f"Logo refusé : l'image est trop grande ({MAX_LOGO_SIDE} × {MAX_LOGO_SIDE} "
            "pixels au plus)."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise unreadable from None
    if width < 1 or height < 1:
        raise unreadable
    return data


class _TooLarge(Exception):
    def __init__(self, width: int, height: int) -> None:
        super().__init__(width, height)
        self.width = width
        self.height = height
