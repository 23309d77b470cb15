"""Small logos made with Pillow for the tests, and broken ones a user might pick by mistake."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw


def logo(width: int = 160, height: int = 80, *, kind: str = "PNG") -> bytes:
    """A two-colour logo (a blue disc, a bar) as PNG (with transparency) or JPEG."""
    mode = "RGBA" if kind == "PNG" else "RGB"
    background = (255, 255, 255, 0) if kind == "PNG" else (255, 255, 255)
    image = Image.new(mode, (width, height), background)
    draw = ImageDraw.Draw(image)
    side = min(width, height)
    if side >= 8:
        draw.ellipse((2, 2, side - 3, side - 3), fill=(21, 101, 192))
    if width - side >= 8:
        draw.rectangle((side, height // 3, width - 3, 2 * height // 3), fill=(230, 81, 0))
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header announces width × height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
