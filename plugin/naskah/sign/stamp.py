"""Where the signature stamp goes: the template's ``ttd`` bookmark, which LibreOffice exports as the named
destination ``/ttd`` (its top left corner), so secretariat staff move the stamp by moving the bookmark."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader

log = logging.getLogger("naskah.sign")

DESTINATION = "ttd"
#: Fallback place, from the last page's bottom right corner (the signature) or bottom left corner (any other
#: stamp, such as a paraf), when a template lacks the bookmark.
FALLBACK_MARGIN_RIGHT = 56.7  # 2 cm
FALLBACK_MARGIN_LEFT = 56.7
FALLBACK_MARGIN_BOTTOM = 85.0  # 3 cm, above a typical footer


@dataclass(frozen=True)
class StampPlace:
    """A page index and a box (x1, y1, x2, y2) in whole PDF points from the page's bottom left corner.

    Whole points, because pyHanko's stamp layout computes aspect ratios with ``Fraction`` and fails on floats.
    """

    page: int
    box: tuple[float, float, float, float]
    from_bookmark: bool


def locate_stamp(pdf: bytes, width: int, height: int, anchor: str = DESTINATION) -> StampPlace:
    """The stamp box: top left at the bookmark ``anchor``, kept inside the page; else a corner of the last page."""
    reader = PdfReader(io.BytesIO(pdf))
    destinations = reader.named_destinations
    dest = destinations.get("/" + anchor) or destinations.get(anchor)
    page_index = reader.get_destination_page_number(dest) if dest is not None else -1
    if dest is not None and page_index >= 0 and dest.left is not None and dest.top is not None:
        x0, y0, x1, y1 = _page_box(reader, page_index)
        left = round(min(max(float(dest.left), x0), x1 - width))
        top = round(max(min(float(dest.top), y1), y0 + height))
        return StampPlace(page_index, (left, top - height, left + width, top), True)
    page_index = len(reader.pages) - 1
    x0, y0, x1, y1 = _page_box(reader, page_index)
    bottom = round(y0 + FALLBACK_MARGIN_BOTTOM)
    if anchor == DESTINATION:
        log.warning("no '%s' bookmark in the letter: the stamp goes to the bottom right of the last page "
                    "(add the bookmark to the template where the signature belongs)", anchor)
        right = round(x1 - FALLBACK_MARGIN_RIGHT)
        return StampPlace(page_index, (right - width, bottom, right, bottom + height), False)
    log.warning("no '%s' bookmark in the letter: that stamp goes to the bottom left of the last page", anchor)
    left = round(x0 + FALLBACK_MARGIN_LEFT)
    return StampPlace(page_index, (left, bottom, left + width, bottom + height), False)


def place_stamp(pdf: bytes, stamp) -> StampPlace:
    """Where a profile's stamp (:class:`naskah.sign.profile.StampSpec`) goes: its fixed ``position`` when it
    has one (for templates that cannot carry a bookmark), else its bookmark ``anchor``."""
    position = stamp.position
    if position is None:
        return locate_stamp(pdf, stamp.width, stamp.height, anchor=stamp.anchor)
    reader = PdfReader(io.BytesIO(pdf))
    count = len(reader.pages)
    index = position.page - 1 if position.page > 0 else count + position.page
    if not 0 <= index < count:
        raise ValueError(f"stamp.position.page {position.page} is not a page of this {count}-page letter")
    return StampPlace(index, (position.x, position.y, position.x + stamp.width, position.y + stamp.height), False)


def _page_box(reader: PdfReader, index: int) -> tuple[float, float, float, float]:
    box = reader.pages[index].cropbox
    return float(box.left), float(box.bottom), float(box.right), float(box.top)
