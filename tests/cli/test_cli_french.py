"""argparse's own texts in French, as a user reads them in a terminal (real processes)."""

from __future__ import annotations

import argparse
import gettext
import io
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from livret.cli_french import DOMAIN, french_catalogue, install_argparse_french
from livret.resources import resource_path
from tests.cli.test_cli import livret

ENGLISH = ("usage:", "show this help", "positional arguments", "error:", "required", "choose")


def _no_english(text: str) -> None:
    for fragment in ENGLISH:
        assert fragment not in text, f"« {fragment} » dans :\n{text}"


def test_help_is_french_whatever_the_terminal_language() -> None:
    result = livret("--help", env={"LANG": "en_US.UTF-8", "LANGUAGE": "en", "LC_ALL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("utilisation : livret ")
    assert "  -h, --help          afficher ce message d'aide et quitter\n" in result.stdout
    assert "  --version           afficher la version de Livret et quitter\n" in result.stdout
    assert "\narguments positionnels :\n" in result.stdout
    assert "\noptions :\n" in result.stdout
    _no_english(result.stdout)


def test_sub_command_help_is_french() -> None:
    result = livret("db", "restore", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("utilisation : livret db restore [-h] [--db CHEMIN_OU_URL]")
    assert "\narguments positionnels :\n  FICHIER " in result.stdout
    assert "afficher ce message d'aide et quitter" in result.stdout
    _no_english(result.stdout)


def test_invalid_choice_is_a_french_error() -> None:
    result = livret("db", "réparer")
    assert result.returncode == 2
    usage, error = result.stderr.strip().splitlines()
    assert usage == "utilisation : livret db [-h] ACTION ..."
    assert error.startswith("livret db : erreur : argument ACTION : choix invalide : 'réparer' ")
    assert "(au choix : " in error and "init" in error and "restore" in error
    _no_english(result.stderr)


def test_missing_argument_is_a_french_error() -> None:
    result = livret("db", "restore")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "livret db restore : erreur : arguments obligatoires : FICHIER"
    )
    missing_value = livret("db", "check", "--db")
    assert missing_value.returncode == 2
    assert missing_value.stderr.strip().splitlines()[-1] == (
        "livret db check : erreur : argument --db : une valeur est attendue"
    )
    unknown = livret("--couleur")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines()[-1] == (
        "livret : erreur : arguments inconnus : --couleur"
    )
    for result in (missing_value, unknown):
        _no_english(result.stderr)


def test_an_integer_option_says_so_in_french() -> None:
    result = livret("demo", "create", "--seed", "sept")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "livret demo create : erreur : argument --seed : « sept » n'est pas un nombre entier"
    )


def test_only_argparse_is_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    # Restored after the test: this process's other parsers keep argparse's own texts.
    monkeypatch.setattr(argparse, "_", getattr(argparse, "_"))  # noqa: B009
    monkeypatch.setattr(argparse, "ngettext", getattr(argparse, "ngettext"))  # noqa: B009
    install_argparse_french()
    parser = argparse.ArgumentParser(prog="essai")
    assert parser.format_usage() == "utilisation : essai [-h]\n"
    assert gettext.textdomain() == "messages"
    assert gettext.gettext("usage: ") == "usage: "


Key = str | tuple[str, ...]


def _key(text: object) -> Key:
    """A message id or string as babel gives it: one text, or the singular and plural."""
    return text if isinstance(text, str) else tuple(str(part) for part in text)  # type: ignore[attr-defined]


def _po_catalogue() -> dict[Key, Key]:
    po = resource_path("locale", "fr", "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as file:
        catalogue = read_po(file, locale="fr")
    return {_key(message.id): _key(message.string) for message in catalogue if message.id}


def test_compiled_catalogue_matches_its_source() -> None:
    """livret-cli.mo is what `pybabel compile` makes of livret-cli.po (see the .po header)."""
    po = resource_path("locale", "fr", "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as file:
        catalogue = read_po(file, locale="fr")
    # babel's checks: every translation keeps its message's placeholders.
    assert [(message.id, errors) for message, errors in catalogue.check()] == []
    fresh = io.BytesIO()
    write_mo(fresh, catalogue)
    assert fresh.getvalue() == po.with_suffix(".mo").read_bytes(), (
        f"{DOMAIN}.mo est périmé : .venv/bin/pybabel compile -l fr -D {DOMAIN} -d resources/locale"
    )
    assert isinstance(french_catalogue(), gettext.GNUTranslations)


def test_catalogue_translates_every_message_of_this_python_argparse() -> None:
    source = Path(argparse.__file__)
    with source.open("rb") as file:
        found = {
            _key(message)
            for _, message, _, _ in extract(
                "python", file, keywords={"_": None, "ngettext": (1, 2)}
            )
        }
    translations = _po_catalogue()
    missing = sorted(str(message) for message in found if not translations.get(message))
    assert not missing, f"messages d'argparse sans traduction dans {DOMAIN}.po : {missing}"
