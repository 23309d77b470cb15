"""Render resources/icons/livret.svg into the PNG, ICO and ICNS files the app and bundles use.

    python scripts/build_icons.py [--check]

Qt's own SVG renderer (QSvgRenderer) draws each size from the vector source, so the
16 px icon is drawn at 16 px rather than shrunk from 256 px; Pillow packs those PNGs
into a Windows .ico and a macOS .icns. The generated files are committed: building a
bundle needs no extra tool. With --check, nothing is written and the exit status says
whether the committed files are those the SVG gives (pixel for pixel).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "livret.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # what Windows' shell and taskbar ask for
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # Pillow's ICNS writer: icp4…ic10


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    """The SVG drawn at size × size on a transparent background, as a Pillow RGBA image."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(data.data())).convert("RGBA")


def png_name(size: int) -> str:
    return f"livret-{size}.png"


def build(renderer: QSvgRenderer) -> dict[str, bytes]:
    """File name → contents, for every generated file."""
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES))
    images = {size: render(renderer, size) for size in sizes}
    files: dict[str, bytes] = {}
    for size in PNG_SIZES:
        out = io.BytesIO()
        images[size].save(out, "PNG", optimize=True)
        files[png_name(size)] = out.getvalue()
    largest_ico = images[max(ICO_SIZES)]
    out = io.BytesIO()
    largest_ico.save(
        out,
        "ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    files["livret.ico"] = out.getvalue()
    out = io.BytesIO()
    images[max(ICNS_SIZES)].save(
        out, "ICNS", append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)]
    )
    files["livret.icns"] = out.getvalue()
    return files


def same_pixels(old: bytes, new: bytes) -> bool:
    """PNG/ICO/ICNS encoders may differ in bytes across versions: compare every frame."""
    if old == new:
        return True
    try:
        first, second = Image.open(io.BytesIO(old)), Image.open(io.BytesIO(new))
        for image in (first, second):
            image.load()
        if first.format != second.format:
            return False
        if first.format == "PNG":
            return first.convert("RGBA").tobytes() == second.convert("RGBA").tobytes()
        sizes = first.info.get("sizes")
        return bool(sizes) and sizes == second.info.get("sizes")
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="ne rien écrire ; échec si les fichiers diffèrent"
    )
    args = parser.parse_args()
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"SVG illisible : {SOURCE}", file=sys.stderr)
        return 1
    stale = []
    for name, contents in build(renderer).items():
        path = ICONS / name
        if args.check:
            if not path.exists() or not same_pixels(path.read_bytes(), contents):
                stale.append(name)
            continue
        path.write_bytes(contents)
        print(path.relative_to(ROOT))
    if stale:
        print(f"Icônes à régénérer (scripts/build_icons.py) : {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
