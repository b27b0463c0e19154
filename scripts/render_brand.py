"""Draw Harmony Music's brand icon: a music note inside two sync arrows.

Home Assistant 2026.3 and later show a custom integration's own images from its
``brand/`` folder (icon.png 256 px, icon@2x.png 512 px; the icon doubles as the
logo). Run with the project's venv: ``.venv/bin/python scripts/render_brand.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).resolve().parent.parent / "custom_components/harmony_music/brand"
GREEN = (29, 185, 84, 255)  # the ring: Spotify's side of the sync
INDIGO = (74, 63, 191, 255)  # the note: the library's side
SCALE = 4  # draw large, then shrink: smooth edges without an anti-aliasing API


def _arc_arrow(draw: ImageDraw.ImageDraw, size: int, start: float, end: float) -> None:
    """One half of the ring (degrees, clockwise from 3 o'clock) with an arrow head at its end."""
    centre, radius, width = size / 2, size * 0.43, size * 0.085
    box = (centre - radius, centre - radius, centre + radius, centre + radius)
    draw.arc(box, start, end, fill=GREEN, width=round(width))
    tip = math.radians(end + 14)
    back = math.radians(end - 2)
    mid = radius - width / 2  # PIL draws the arc's width inwards from the box
    outer, inner = mid + width * 1.1, mid - width * 1.1
    draw.polygon(
        [
            (centre + outer * math.cos(back), centre + outer * math.sin(back)),
            (centre + inner * math.cos(back), centre + inner * math.sin(back)),
            (centre + mid * math.cos(tip), centre + mid * math.sin(tip)),
        ],
        fill=GREEN,
    )


def _note(draw: ImageDraw.ImageDraw, size: int) -> None:
    """A beamed pair of eighth notes in the middle of the ring."""
    stem = size * 0.045
    head_w, head_h = size * 0.15, size * 0.11
    left_x, right_x = size * 0.36, size * 0.60
    left_y, right_y = size * 0.64, size * 0.60
    top_left, top_right = size * 0.30, size * 0.26
    for x, y in ((left_x, left_y), (right_x, right_y)):
        draw.ellipse((x - head_w / 2, y - head_h / 2, x + head_w / 2, y + head_h / 2), fill=INDIGO)
    beam = size * 0.07
    for x, y, top in ((left_x, left_y, top_left), (right_x, right_y, top_right)):
        sx = x + head_w / 2 - stem
        # Stems start inside the slanted beam so no corner sticks out above it.
        draw.rectangle((sx, top + beam / 2, sx + stem, y), fill=INDIGO)
    lx, rx = left_x + head_w / 2 - stem, right_x + head_w / 2
    draw.polygon(
        [(lx, top_left), (rx, top_right), (rx, top_right + beam), (lx, top_left + beam)],
        fill=INDIGO,
    )


def render(pixels: int) -> Image.Image:
    """The icon at ``pixels`` square, transparent outside the ring, trimmed to its edges."""
    size = pixels * SCALE
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _arc_arrow(draw, size, 200, 330)
    _arc_arrow(draw, size, 20, 150)
    _note(draw, size)
    bbox = image.getbbox()
    assert bbox is not None
    trimmed = image.crop(bbox)
    side = max(trimmed.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(trimmed, ((side - trimmed.width) // 2, (side - trimmed.height) // 2))
    return square.resize((pixels, pixels), Image.Resampling.LANCZOS)


def main() -> None:
    BRAND.mkdir(exist_ok=True)
    render(256).save(BRAND / "icon.png", optimize=True)
    render(512).save(BRAND / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
