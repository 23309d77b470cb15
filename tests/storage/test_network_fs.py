"""A SQLite file on a network share is refused, with the reason (WAL); a local one opens."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from livret.domain.errors import DatabaseError
from livret.services.database import open_database
from livret.storage.engine import make_engine, resolve
from livret.storage.network_fs import Mount, machine_mounts, network_mount_of

LINUX_MOUNTS = [
    Mount("/", "ext4"),
    Mount("/home", "ext4"),
    Mount("/mnt/partage", "nfs4"),
    Mount("/mnt/partage/local-cache", "ext4"),
    Mount("/media/ecole", "cifs"),
    Mount("/home/prof/distant", "fuse.sshfs"),
]


@pytest.mark.parametrize(
    ("path", "network"),
    [
        ("/home/prof/livret.sqlite", None),
        ("/mnt/partage/livret.sqlite", "nfs4"),
        ("/mnt/partage/classes/2026/livret.sqlite", "nfs4"),
        # The longest mount point wins: a local disk mounted inside the share.
        ("/mnt/partage/local-cache/livret.sqlite", None),
        ("/mnt/partagee/livret.sqlite", None),  # a prefix of the name is not a parent
        ("/media/ecole/livret.sqlite", "cifs"),
        ("/home/prof/distant/livret.sqlite", "fuse.sshfs"),
    ],
)
def test_the_longest_mount_point_decides(path: str, network: str | None) -> None:
    mount = network_mount_of(PurePosixPath(path), LINUX_MOUNTS)
    assert (mount.fstype if mount else None) == network


def test_windows_mapped_drives_and_unc_paths_are_network() -> None:
    mounts = [Mount("C:\\", "NTFS"), Mount("Z:\\", "NTFS", remote=True)]
    assert network_mount_of(PureWindowsPath("C:\\Users\\prof\\livret.sqlite"), mounts) is None
    assert network_mount_of(PureWindowsPath("z:\\livret\\livret.sqlite"), mounts) is not None
    unc = PureWindowsPath("\\\\serveur\\profs\\livret.sqlite")
    assert network_mount_of(unc, mounts) is not None


def test_macos_shares_are_network() -> None:
    mounts = [Mount("/", "apfs"), Mount("/Volumes/Profs", "smbfs"), Mount("/Volumes/Cle", "msdos")]
    assert network_mount_of(PurePosixPath("/Volumes/Profs/livret.sqlite"), mounts) is not None
    assert network_mount_of(PurePosixPath("/Volumes/Cle/livret.sqlite"), mounts) is None


def test_engine_refuses_a_file_on_a_share_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "livret.sqlite"
    share = [Mount("/", "ext4"), Mount(str(tmp_path), "cifs")]
    with pytest.raises(DatabaseError) as refused:
        make_engine(resolve(str(path)), create=True, mounts=share)
    message = refused.value.message
    assert str(path) in message
    assert "partage réseau" in message and "WAL" in message and "un seul ordinateur" in message
    assert "sqlite.org/wal.html" in message
    assert not path.exists()  # nothing was created on the share


def test_the_machine_mounts_are_read_and_a_temporary_file_is_accepted(tmp_path: Path) -> None:
    mounts = machine_mounts()
    roots = {"/"} | {f"{letter}:\\" for letter in "CDEFGH"}  # / or C:\ on Windows
    assert any(mount.mountpoint in roots for mount in mounts)
    database, report = open_database(str(tmp_path / "livret.sqlite"), create=True)
    try:
        assert report.created
    finally:
        database.dispose()
