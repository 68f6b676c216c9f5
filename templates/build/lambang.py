"""The regional emblem (lambang daerah) of the kop: draw the neutral placeholder, or prepare a city's own.

    .venv/bin/python templates/build/lambang.py placeholder [OUT.png]   (default templates/lambang/lambang-daerah.png)
    .venv/bin/python templates/build/lambang.py prepare EMBLEM.png OUT.png

The placeholder is a plain shield of our own drawing with the words LAMBANG DAERAH: it stands in for the emblem
in the samples and is never a real coat of arms. ``prepare`` makes a city's emblem ready for naskah: the picture
is flattened onto white as an 8-bit RGB PNG without transparency (an alpha channel in a PDF/A needs care that a
plain picture does not), scaled to HEIGHT pixels high (about 365 dpi at the kop's 2.5 cm). An emblem published
as SVG is first exported as a PNG at least HEIGHT pixels high with a drawing tool (``rsvg-convert -h 720``,
``inkscape -h 720 -o emblem.png emblem.svg``): the LibreOffice naskah installs is Writer only, which cannot draw
an SVG alone. Put the result into templates/lambang/ and name it in
the mappings' ``kop.lambang`` (templates/README.md, "The emblem").

Needs Pillow (in the test extra); naskah itself reads a prepared PNG without it.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

TEMPLATES = Path(__file__).resolve().parent.parent
HEIGHT = 360  # pixels: 2.5 cm at about 365 dpi
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"


def placeholder(height: int = HEIGHT) -> Image.Image:
    """A neutral shield: a double outline, a plain band and the words LAMBANG DAERAH, in grey and dark blue."""
    width = round(height * 0.82)
    scale = 4  # drawn large, then reduced: smooth edges without anti-aliasing support in ImageDraw.polygon
    w, h = width * scale, height * scale
    image = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(image)

    def shield(inset: float) -> list[tuple[float, float]]:
        """The outline: a straight top, straight sides down to 55 %, then curves meeting in a point at the bottom."""
        left, right, top, bottom = inset, w - inset, inset, h - inset
        shoulder = top + (bottom - top) * 0.55
        curve = []
        for step in range(1, 41):  # a quadratic Bezier from the right shoulder to the point
            t = step / 40
            control = (right, bottom - (bottom - shoulder) * 0.15)
            x = (1 - t) ** 2 * right + 2 * (1 - t) * t * control[0] + t ** 2 * (w / 2)
            y = (1 - t) ** 2 * shoulder + 2 * (1 - t) * t * control[1] + t ** 2 * bottom
            curve.append((x, y))
        right_side = [(right, top), (right, shoulder), *curve]
        left_side = [(w - x, y) for x, y in reversed(right_side[:-1])]
        return [(left, top), *right_side, *left_side]

    navy, grey = (31, 56, 100), (200, 205, 212)
    draw.polygon(shield(2 * scale), fill=navy)
    draw.polygon(shield(18 * scale), fill="white")
    draw.polygon(shield(30 * scale), fill=grey)
    band_top, band_bottom = h * 0.36, h * 0.60
    draw.rectangle([30 * scale, band_top, w - 30 * scale, band_bottom], fill="white")
    font = ImageFont.truetype(FONT, round(h * 0.085))
    for text, y in (("LAMBANG", band_top + (band_bottom - band_top) * 0.27),
                    ("DAERAH", band_top + (band_bottom - band_top) * 0.73)):
        draw.text((w / 2, y), text, fill=navy, font=font, anchor="mm")
    star = [(w / 2, h * 0.12), (w / 2 + h * 0.035, h * 0.22), (w / 2 + h * 0.11, h * 0.22),
            (w / 2 + h * 0.05, h * 0.27), (w / 2 + h * 0.075, h * 0.345), (w / 2, h * 0.30),
            (w / 2 - h * 0.075, h * 0.345), (w / 2 - h * 0.05, h * 0.27), (w / 2 - h * 0.11, h * 0.22),
            (w / 2 - h * 0.035, h * 0.22)]
    draw.polygon(star, fill=navy)
    return image.resize((width, height), Image.LANCZOS)


def flattened(image: Image.Image, height: int = HEIGHT) -> Image.Image:
    """On white, 8-bit RGB, no alpha, ``height`` pixels high."""
    image = image.convert("RGBA")
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(background, image).convert("RGB")
    width = max(1, round(flat.width * height / flat.height))
    return flat.resize((width, height), Image.LANCZOS)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "placeholder":
        out = Path(argv[2]) if len(argv) > 2 else TEMPLATES / "lambang" / "lambang-daerah.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        placeholder().save(out, optimize=True)
    elif len(argv) == 4 and argv[1] == "prepare":
        source, out = Path(argv[2]), Path(argv[3])
        with Image.open(source) as image:
            flattened(image).save(out, optimize=True)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
