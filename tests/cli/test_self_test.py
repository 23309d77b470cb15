"""`livret self-test`, run as an IT admin would: a process of its own, no screen."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

STEP_LINE = re.compile(r"^✓ .+ \(\d+,\d s\)$")


def _self_test(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """python -m livret self-test, with a home of its own and a platform it must not use."""
    home = tmp_path / "home"
    for folder in ("config", "data", "tmp"):
        (home / folder).mkdir(parents=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "TMPDIR": str(home / "tmp"),
        # No display here: xcb would abort. The self-test must choose offscreen itself.
        "QT_QPA_PLATFORM": "xcb",
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "livret", "self-test", *arguments],
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=tmp_path,
        timeout=300, check=False,
    )  # fmt: skip


def test_self_test_passes_every_step_and_leaves_nothing_behind(tmp_path: Path) -> None:
    result = _self_test(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    steps = [line for line in lines if line.startswith("✓ ")]
    assert all(STEP_LINE.match(line) for line in steps), lines
    expected = [
        "✓ Bibliothèques chargées : psutil ",
        "✓ Dossier temporaire créé : ",
        "✓ Base SQLite créée, schéma migré jusqu'à la révision ",
        "✓ Base de démonstration créée : 90 apprenants",
        "✓ Qt démarré : PySide6 ",
        "✓ Traduction française de Qt chargée (« Cancel » → « Annuler »)",
        "✓ Fenêtre principale affichée",
        "✓ Tableau de bord de ",
        "✓ Éditeur de bilan ouvert : brouillon de ",
        "✓ PDF du bilan écrit et relu : ",
    ]
    assert len(steps) == len(expected)
    for line, start in zip(steps, expected, strict=True):
        assert line.startswith(start), (line, start)
    assert "plateforme offscreen" in steps[4]
    # The learner whose dashboard was painted is the one in the editor and the PDF.
    learner = steps[7].removeprefix("✓ Tableau de bord de ").split(" peint : ")[0]
    assert f"brouillon de {learner}," in steps[8]
    assert lines[-1].startswith("Auto-test réussi : 10 étapes en ")
    assert "démarrage du processus : " in lines[-1]
    assert "échec" not in result.stderr

    # Its temporary folder is gone; the user's settings and data were not touched.
    home = tmp_path / "home"
    assert list((home / "tmp").glob("livret-auto-test-*")) == []
    assert list((home / "config").iterdir()) == []
    assert list((home / "data").iterdir()) == []


def test_self_test_on_a_folder_it_cannot_use_says_which_step_failed(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "cle-usb.txt"
    not_a_folder.write_text("un fichier, pas un dossier")

    result = _self_test(tmp_path, "--dir", str(not_a_folder))

    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ Bibliothèques chargées")
    assert re.fullmatch(r"✗ Échec : dossier temporaire \(\d+,\d s\)", lines[1])
    assert lines[-1].startswith("Auto-test échoué (")
    assert not any(line.startswith("✓ Base") for line in lines)
    assert result.stderr.strip().splitlines()[-1] == (
        "livret self-test : échec de l'étape « dossier temporaire » : "
        f"« {not_a_folder} » n'est pas un dossier existant."
    )
