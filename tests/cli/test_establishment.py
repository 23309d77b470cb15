"""`livret establishment show|set` on real databases: what it stores, what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from livret import cli
from livret.services.database import Database
from livret.services.establishment import EstablishmentInfo, EstablishmentService
from livret.services.users import command_line_actor
from tests.logos import logo


def run(capsys: pytest.CaptureFixture[str], db_url: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["establishment", *args, "--db", db_url])
    out, err = capsys.readouterr()
    return code, out, err


def stored(database: Database) -> EstablishmentInfo:
    return EstablishmentService(database, command_line_actor(database)).info()


def test_set_then_show(
    database: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "logo.png"
    picture.write_bytes(logo())

    code, out, err = run(
        capsys, db_url, "set", "--name", "Lycée Jean Moulin", "--uai", "0750654d",
        "--city", "Paris", "--logo", str(picture),
    )  # fmt: skip

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Établissement enregistré.",
        "Nom   : Lycée Jean Moulin",
        "UAI   : 0750654D",
        "Ville : Paris",
        f"Logo  : PNG, {len(logo())} octets",
    ]
    assert stored(database) == EstablishmentInfo("Lycée Jean Moulin", "0750654D", "Paris", logo())
    with database.engine.connect() as connection:
        (actor,) = connection.execute(
            text("SELECT actor FROM audit_event WHERE action = 'establishment_updated'")
        ).one()
    assert str(actor).startswith("ligne de commande (")

    # Only what is given changes; an empty value clears; --no-logo removes the logo.
    code, out, _ = run(capsys, db_url, "set", "--city", "", "--no-logo")
    assert code == 0
    assert stored(database) == EstablishmentInfo("Lycée Jean Moulin", "0750654D", None, None)

    code, out, _ = run(capsys, db_url, "show")
    assert code == 0
    assert out.splitlines() == [
        "Nom   : Lycée Jean Moulin",
        "UAI   : 0750654D",
        "Ville : (aucune)",
        "Logo  : (aucun)",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--uai", "0750654E"], "sa lettre clé ne correspond pas à ses chiffres"),
        (["--name", ""], "Indiquez le nom de l'établissement."),
        (["--logo", "absent.png"], "Impossible de lire le logo « absent.png »"),
        ([], "Rien à changer"),
    ],
)
def test_refusals_print_one_french_line_and_change_nothing(
    database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = stored(database)
    code, out, err = run(capsys, db_url, "set", *args)
    assert (code, out) == (1, "")
    assert err.startswith("livret : erreur : ") and message in err
    assert len(err.splitlines()) == 1
    assert stored(database) == before


def test_a_file_that_is_not_an_image(
    database: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "logo.pdf"
    document.write_bytes(b"%PDF-1.7\n")
    code, _, err = run(capsys, db_url, "set", "--logo", str(document))
    assert code == 1
    assert "seules les images PNG ou JPEG sont acceptées" in err
    assert stored(database).logo is None
