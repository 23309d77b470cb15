"""Password hashes (argon2id through argon2-cffi) and generated initial passwords.

argon2-cffi is the reference binding of the Password Hashing Competition winner; its
PasswordHasher defaults to argon2id with RFC 9106's parameters and encodes them in
the hash, so parameters can be raised later and old hashes upgraded at login.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified when the login is unknown, so that a wrong login takes as long as a wrong password.
# A hash of a random password nobody kept, written here rather than computed at import
# (that cost every start-up a hash); remade once if the hasher's parameters change.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$toenne2+t055oWGTE7aceA$"
    "kpU70bpMDDfeTCYwR8b4aKLZZQ5ReB3dlxxDHQnXQ5E"
)
_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        current = not _HASHER.check_needs_rehash(_DUMMY_HASH)
        _dummy.append(_DUMMY_HASH if current else _HASHER.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


# No 0/O, 1/l/I: an initial password is read off a printed list.
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; a missing or corrupt hash never matches."""
    try:
        return _HASHER.verify(stored if stored else _dummy_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def generate_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_LENGTH))
