"""Refuse a SQLite file on a network share: WAL needs memory shared on one machine.

SQLite's write-ahead log keeps its index in a memory-mapped `-shm` file, so every
process using the database must be on the same computer; over SMB or NFS the
locks and the shared memory are not reliable and the file can be corrupted
(https://sqlite.org/wal.html, « WAL does not work over a network filesystem »).
A school that wants one livret for several computers uses a PostgreSQL server.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

import psutil

from livret.domain.errors import DatabaseError

# File systems whose data live on another computer (Linux and macOS names, lower case).
NETWORK_FILE_SYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "afpfs",
        "webdav",
        "davfs",
        "ncpfs",
        "coda",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "beegfs",
        "fuse.sshfs",
        "sshfs",
        "fuse.davfs2",
        "fuse.rclone",
        "fuse.s3fs",
        "fuse.glusterfs",
        "fuse.cephfs",
        "fuse.gcsfuse",
        "fuse.juicefs",
    }
)


@dataclass(frozen=True, slots=True)
class Mount:
    """One entry of the machine's mount table."""

    mountpoint: str
    fstype: str
    remote: bool = False  # Windows: a mapped network drive ('remote' in psutil's opts)

    @property
    def is_network(self) -> bool:
        return self.remote or self.fstype.lower() in NETWORK_FILE_SYSTEMS


def is_unc(path: PurePath) -> bool:
    """A Windows path such as \\\\serveur\\partage\\livret.sqlite (always a network location)."""
    return isinstance(path, PureWindowsPath) and path.drive.startswith(("\\\\", "//"))


def mount_of(path: PurePath, mounts: Iterable[Mount]) -> Mount | None:
    """The mount holding path: the one whose mount point is its longest prefix."""
    best: Mount | None = None
    best_depth = -1
    for mount in mounts:
        point = type(path)(mount.mountpoint)
        if (point == path or point in path.parents) and len(point.parts) > best_depth:
            best, best_depth = mount, len(point.parts)
    return best


def network_mount_of(path: PurePath, mounts: Iterable[Mount]) -> Mount | None:
    """The network mount holding path, or None when it is on a local disk."""
    if is_unc(path):
        return Mount(mountpoint=path.anchor, fstype="smb", remote=True)
    mount = mount_of(path, mounts)
    return mount if mount is not None and mount.is_network else None


def machine_mounts() -> list[Mount]:
    """This machine's mount table; empty (nothing refused) when it cannot be read."""
    try:
        partitions = psutil.disk_partitions(all=True)
    except (OSError, RuntimeError):
        return []
    return [
        Mount(
            mountpoint=part.mountpoint,
            fstype=part.fstype,
            remote="remote" in part.opts.split(","),
        )
        for part in partitions
    ]


def _as_pure(path: Path) -> PurePath:
    # Resolve symbolic links and relative parts: the file lives where its directory really is.
    real = os.path.realpath(path)
    return PureWindowsPath(real) if os.name == "nt" else PurePosixPath(real)


def refuse_network_file(path: Path, mounts: Sequence[Mount] | None = None) -> None:
    """Raise a French DatabaseError when the SQLite file at path sits on a network share."""
    pure = _as_pure(path)
    mount = network_mount_of(pure, machine_mounts() if mounts is None else mounts)
    if mount is None:
        return
    kind = f" ({mount.fstype})" if mount.fstype and not mount.remote else ""
    raise DatabaseError(
        f"« {path} » est sur un partage réseau{kind} : Livret ne l'ouvre pas. "
        "Une base SQLite (journal WAL) a besoin d'une mémoire partagée sur un seul "
        "ordinateur ; sur un partage réseau (SMB, NFS…) elle peut être abîmée "
        "(voir https://sqlite.org/wal.html). Copiez le fichier sur ce poste, ou, pour "
        "travailler à plusieurs, utilisez un serveur PostgreSQL (Fichier → Se connecter "
        "à un serveur…)."
    )
