"""The bilan PDF's header: the establishment's logo, name, UAI and city, read back with pypdf."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm

from livret.reports.bilan_pdf import LOGO_HEIGHT, LOGO_MAX_WIDTH, render_bilan_pdf
from tests.logos import logo
from tests.reports.test_bilan_pdf import document

NAME = "Lycée professionnel Jean Moulin"
DRAWN = re.compile(rb"([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm\s*/(\S+) Do")


def first_page(**changes: Any) -> Any:
    data = render_bilan_pdf(replace(document(), establishment=NAME, **changes))
    return PdfReader(io.BytesIO(data)).pages[0]


def flat_text(page: Any) -> str:
    return " ".join(page.extract_text().split())


def drawn_images(page: Any) -> list[tuple[float, float, int, int]]:
    """(width, height) on the page in points, and (width, height) in pixels, of each image."""
    xobjects = page["/Resources"].get_object().get("/XObject")
    found = []
    for width, height, name in DRAWN.findall(page.get_contents().get_data()):
        image = xobjects.get_object()["/" + name.decode()].get_object()
        assert image["/Subtype"] == "/Image"
        found.append((float(width), float(height), int(image["/Width"]), int(image["/Height"])))
    return found


@pytest.mark.parametrize(
    ("uai", "city", "details"),
    [
        ("0750654D", "Paris", "UAI 0750654D — Paris"),
        ("0750654D", None, "UAI 0750654D"),
        (None, "Saint-Étienne", "Saint-Étienne"),
    ],
)
def test_uai_and_city_under_the_name(uai: str | None, city: str | None, details: str) -> None:
    text = flat_text(first_page(establishment_uai=uai, establishment_city=city))
    assert f"{NAME} {details}" in text
    assert "UAI" in text if uai else "UAI" not in text


def test_without_uai_city_or_logo_the_header_is_as_before() -> None:
    page = first_page()
    assert drawn_images(page) == []
    assert f"{NAME} Bilan intermédiaire de compétences Bilan de LEFÈVRE Chloé" in flat_text(page)


@pytest.mark.parametrize(
    ("pixels", "embedded"),
    [
        ((160, 80), (160, 80)),  # height-bound: 14 mm high, 28 mm wide
        ((2000, 500), (600, 150)),  # width-bound: 40 mm wide, 10 mm high
        ((150, 600), (150, 600)),  # a tall one: 14 mm high
    ],
)
def test_the_logo_keeps_its_aspect_ratio_within_its_box(
    pixels: tuple[int, int], embedded: tuple[int, int]
) -> None:
    page = first_page(establishment_logo=logo(*pixels))
    ((width, height, pixel_width, pixel_height),) = drawn_images(page)
    assert (pixel_width, pixel_height) == embedded
    assert width / height == pytest.approx(pixels[0] / pixels[1], rel=1e-3)
    assert height <= LOGO_HEIGHT + 0.01 and width <= LOGO_MAX_WIDTH + 0.01
    assert max(height / LOGO_HEIGHT, width / LOGO_MAX_WIDTH) == pytest.approx(1)
    assert NAME in flat_text(page)


def test_a_jpeg_taken_sideways_is_printed_upright() -> None:
    image = Image.open(io.BytesIO(logo(200, 100, kind="JPEG")))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    page = first_page(establishment_logo=buffer.getvalue())
    ((width, height, pixel_width, pixel_height),) = drawn_images(page)
    assert (pixel_width, pixel_height) == (100, 200)
    assert height == pytest.approx(LOGO_HEIGHT) and width == pytest.approx(7 * mm)


def test_an_unreadable_logo_is_left_out_and_the_bilan_still_prints() -> None:
    page = first_page(establishment_logo=logo()[:60], establishment_city="Paris")
    assert drawn_images(page) == []
    assert f"{NAME} Paris" in flat_text(page)
