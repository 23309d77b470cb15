"""Linux desktop integration, installed as a user would: make install-desktop into a tmp dir."""

from __future__ import annotations

import configparser
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def _install(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "install-desktop"],
        capture_output=True, text=True, env={**os.environ, "HOME": str(tmp_path), **env},
        timeout=60, check=False,
    )  # fmt: skip


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_install_desktop_puts_the_entry_and_every_icon_in_the_user_data_folder(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    result = _install(tmp_path, XDG_DATA_HOME=str(data))

    assert result.returncode == 0, result.stdout + result.stderr
    entry = _entry(data / "applications" / "livret.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Livret"
    assert "compétences" in entry["Comment"]
    assert entry["Icon"] == "livret"
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Education;"
    # Exec is the bundle's GUI entry, by its absolute path (the bundle is not on PATH).
    assert entry["Exec"] == str(ROOT / "dist" / "livret" / "livret-gui") or (
        entry["Exec"] == "livret-gui" and "Bundle introuvable" in result.stderr
    )
    for size in ICON_SIZES:
        icon = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "livret.png"
        source = ROOT / "resources" / "icons" / f"livret-{size}.png"
        assert icon.read_bytes() == source.read_bytes()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "livret.svg").is_file()


def test_install_desktop_with_destdir_and_prefix_stages_a_package_tree(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    elsewhere = str(tmp_path / "no")
    result = _install(tmp_path, DESTDIR=str(stage), PREFIX="/usr", XDG_DATA_HOME=elsewhere)

    assert result.returncode == 0, result.stdout + result.stderr
    share = stage / "usr" / "share"
    assert _entry(share / "applications" / "livret.desktop")["Icon"] == "livret"
    assert (share / "icons" / "hicolor" / "48x48" / "apps" / "livret.png").is_file()
    assert not (tmp_path / "no").exists()  # nothing in the user's folder
    assert not (share / "icons" / "hicolor" / "icon-theme.cache").exists()  # no cache in a package


# The keys of the Desktop Entry Specification 1.5 (desktop-file-validate's list) and its
# registered main categories: a typo in a key or a category hides the entry from menus.
KNOWN_KEYS = {
    "Type",
    "Version",
    "Name",
    "GenericName",
    "NoDisplay",
    "Comment",
    "Icon",
    "Hidden",
    "OnlyShowIn",
    "NotShowIn",
    "DBusActivatable",
    "TryExec",
    "Exec",
    "Path",
    "Terminal",
    "Actions",
    "MimeType",
    "Categories",
    "Implements",
    "Keywords",
    "StartupNotify",
    "StartupWMClass",
    "URL",
    "PrefersNonDefaultGPU",
    "SingleMainWindow",
}
MAIN_CATEGORIES = {
    "AudioVideo",
    "Audio",
    "Video",
    "Development",
    "Education",
    "Game",
    "Graphics",
    "Network",
    "Office",
    "Science",
    "Settings",
    "System",
    "Utility",
}


def test_the_desktop_file_follows_the_specification() -> None:
    path = ROOT / "packaging" / "linux" / "livret.desktop"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("[Desktop Entry]\n")
    entry = _entry(path)
    assert set(entry) <= KNOWN_KEYS, set(entry) - KNOWN_KEYS
    for key in ("Keywords", "Categories"):  # lists end with a semicolon
        assert entry[key].endswith(";")
    assert set(entry["Categories"].rstrip(";").split(";")) & MAIN_CATEGORIES
    assert entry["Exec"] == entry["TryExec"] == "livret-gui"  # rewritten by the installer
    assert entry["StartupWMClass"] == "Livret"  # WM_CLASS from QApplication.applicationName()
