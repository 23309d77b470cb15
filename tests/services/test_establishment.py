"""EstablishmentService: the name, UAI, city and logo an Administrateur sets, read back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from livret.domain.errors import PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.services.audit_log import action_label
from livret.services.database import DEFAULT_ESTABLISHMENT, Database
from livret.services.establishment import (
    KEEP,
    MAX_LOGO_BYTES,
    UPDATED_ACTION,
    EstablishmentInfo,
    EstablishmentService,
    uai_key,
)
from tests.accounts import make_account
from tests.logos import logo, png_declaring

LOGO = logo()


def _stored(database: Database) -> tuple[Any, ...]:
    """The establishment rows and the audit events, as the database holds them."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, name, uai, city, logo FROM establishment ORDER BY id")
        ).all()
        events = connection.execute(text("SELECT COUNT(*) FROM audit_event")).scalar_one()
    return tuple(
        (r[0], r[1], r[2], r[3], bytes(r[4]) if r[4] is not None else None) for r in rows
    ), events


def _events(database: Database) -> list[tuple[str, str, str]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT actor, entity, details FROM audit_event WHERE action = :a ORDER BY id"),
            {"a": UPDATED_ACTION},
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.fixture
def admin(database: Database) -> Actor:
    return make_account(database, Role.ADMIN, "admin", name="Mme Admin")


def test_a_new_database_has_the_default_name_and_nothing_else(database: Database) -> None:
    teacher = make_account(database, Role.TEACHER)
    assert EstablishmentService(database, teacher).info() == EstablishmentInfo(
        DEFAULT_ESTABLISHMENT, None, None, None
    )


def test_update_then_read_back(database: Database, admin: Actor) -> None:
    service = EstablishmentService(database, admin)
    saved = service.update("  Lycée professionnel Jean Moulin ", "0750654d", " Paris ", logo=LOGO)
    assert saved == EstablishmentInfo("Lycée professionnel Jean Moulin", "0750654D", "Paris", LOGO)
    assert saved.logo_format == "PNG"
    # Every role reads it (it is printed on every PDF).
    teacher = make_account(database, Role.TEACHER, "prof")
    assert EstablishmentService(database, teacher).info() == saved
    assert _events(database) == [
        (
            "Mme Admin",
            "establishment",
            "nom : Mon établissement → Lycée professionnel Jean Moulin ; "
            "UAI : (aucun) → 0750654D ; ville : (aucun) → Paris ; logo ajouté",
        )
    ]
    assert action_label(UPDATED_ACTION) == "Établissement modifié"


def test_keep_replace_and_remove_the_logo(database: Database, admin: Actor) -> None:
    service = EstablishmentService(database, admin)
    service.update("Lycée A", None, None, logo=LOGO)
    kept = service.update("Lycée B", "", "", logo=KEEP)
    assert kept == EstablishmentInfo("Lycée B", None, None, LOGO)
    jpeg = logo(kind="JPEG")
    replaced = service.update("Lycée B", None, None, logo=jpeg)
    assert replaced.logo == jpeg and replaced.logo_format == "JPEG"
    removed = service.update("Lycée B", None, None, logo=None)
    assert removed.logo is None
    assert [details for _, _, details in _events(database)] == [
        "nom : Mon établissement → Lycée A ; logo ajouté",
        "nom : Lycée A → Lycée B",
        "logo remplacé",
        "logo retiré",
    ]


def test_saving_the_same_details_writes_nothing(database: Database, admin: Actor) -> None:
    service = EstablishmentService(database, admin)
    service.update("Lycée A", "0750654D", "Paris", logo=LOGO)
    before = _stored(database)
    assert service.update("Lycée A", "0750654d", "Paris") == service.info()
    assert _stored(database) == before


def test_uai_key_letter() -> None:
    # Real UAIs: lycées Louis-le-Grand, Henri-IV, Charlemagne (Paris), du Parc (Lyon).
    for uai in ("0750654D", "0750699C", "0750652B", "0690026D"):
        assert uai_key(uai[:7]) == uai[7]


REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"name": "   "}, "Indiquez le nom de l'établissement."),
    ({"name": "L" * 201}, "Nom de l'établissement refusé : 200 caractères au plus"),
    ({"name": "Lycée\nA"}, "Nom de l'établissement refusé"),
    ({"uai": "075065D"}, "UAI « 075065D » refusé : 7 chiffres suivis d'une lettre"),
    ({"uai": "0750654-D"}, "7 chiffres suivis d'une lettre sont attendus"),
    (
        {"uai": "0750654E"},
        "UAI « 0750654E » refusé : sa lettre clé ne correspond pas à ses chiffres "
        "(attendu : 0750654D)",
    ),
    ({"city": "V" * 101}, "Ville refusée : 100 caractères au plus"),
    ({"logo": b""}, "Le fichier du logo est vide."),
    ({"logo": b"GIF89a" + bytes(100)}, "seules les images PNG ou JPEG sont acceptées"),
    ({"logo": b"%PDF-1.4 not an image"}, "seules les images PNG ou JPEG sont acceptées"),
    ({"logo": LOGO[: len(LOGO) // 2]}, "l'image est illisible ou incomplète"),
    ({"logo": logo(kind="JPEG")[:400]}, "l'image est illisible ou incomplète"),
    ({"logo": png_declaring(200, 100)}, "l'image est illisible ou incomplète"),
    ({"logo": logo(4001, 3)}, "Logo refusé : 4001 × 3 pixels, 4000 × 4000 au plus."),
    ({"logo": png_declaring(5000, 5000)}, "Logo refusé : 5000 × 5000 pixels"),
    ({"logo": png_declaring(10_000, 10_000)}, "l'image est trop grande"),
    ({"logo": png_declaring(40_000, 40_000)}, "l'image est trop grande"),
    (
        {"logo": LOGO + bytes(MAX_LOGO_BYTES)},
        "Logo refusé : le fichier fait 1,0 Mo, 1 Mo au plus.",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    REFUSALS,
    ids=[f"{next(iter(c))}-{i}" for i, (c, _) in enumerate(REFUSALS)],
)
def test_each_refusal_writes_nothing(
    database: Database, admin: Actor, change: dict[str, Any], message: str
) -> None:
    service = EstablishmentService(database, admin)
    service.update("Lycée A", "0750654D", "Paris", logo=LOGO)
    before = _stored(database)
    arguments: dict[str, Any] = {"name": "Lycée B", "uai": None, "city": "Lyon", "logo": None}
    arguments.update(change)
    with pytest.raises(ValidationError) as refused:
        service.update(**arguments)
    assert message in refused.value.message
    assert _stored(database) == before


@pytest.mark.parametrize("role", [Role.TEACHER, Role.DDFPT], ids=lambda r: r.value)
def test_only_the_administrateur_changes_it(database: Database, role: Role) -> None:
    actor = make_account(database, role)
    before = _stored(database)
    with pytest.raises(PermissionDenied) as refused:
        EstablishmentService(database, actor).update("Lycée pirate", None, None, logo=LOGO)
    assert refused.value.message == (
        f"Votre rôle ({'Enseignant' if role is Role.TEACHER else 'DDFPT'}) ne permet pas "
        "de modifier les informations de l'établissement."
    )
    assert _stored(database) == before
    assert EstablishmentService(database, actor).info().name == DEFAULT_ESTABLISHMENT
