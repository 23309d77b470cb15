"""Tell a UTF-8 file with a damaged byte from a file written in a single-byte encoding.

A file is decoded whole, in one encoding decided for the whole file, never line by
line. The bytes that are not UTF-8 decide: when the file also holds real UTF-8
sequences (« é » as two bytes) at least as often as bad bytes, it is a UTF-8 file
with a damaged byte, and reading it in Windows-1252 would turn every accent into
« Ã© »: the reader refuses it and names the line of the first bad byte instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class BadUtf8:
    """Where a file stops being UTF-8, and whether it still looks like UTF-8 otherwise."""

    offset: int
    """Offset of the first byte that is not UTF-8."""
    line: int
    """Its line number (1-based)."""
    byte: int
    damaged_utf8: bool
    """True when the file holds real UTF-8 sequences as often as bad bytes: a UTF-8 file
    with damaged bytes, not a file in another encoding."""

    @property
    def byte_text(self) -> str:
        return f"0x{self.byte:02X}"


def utf8_problem(data: bytes) -> BadUtf8 | None:
    """None when `data` is strict UTF-8; otherwise where and how it is not."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
    else:
        return None
    # Each bad byte becomes one lone surrogate; each real sequence one character ≥ U+0080.
    valid = data.decode("utf-8", errors="ignore")  # every bad byte dropped
    bad = len(data) - len(valid.encode("utf-8"))
    sequences = len(valid) - len(valid.encode("ascii", errors="ignore"))
    return BadUtf8(
        offset=offset,
        line=data.count(b"\n", 0, offset) + 1,
        byte=data[offset],
        damaged_utf8=sequences > 0 and sequences >= bad,
    )


def looks_like_single_byte_text(text: str) -> bool:
    """Whether text decoded from a single-byte encoding reads like prose and tables.

    Binary data decodes too (every byte means something in Windows-1252), but is full
    of control characters and of letters outside ASCII.
    """
    if _CONTROL.search(text):
        return False
    visible = len(text) - sum(text.count(space) for space in " \t\r\n")
    foreign = len(text) - len(text.encode("ascii", errors="ignore"))
    return foreign * 3 <= visible
