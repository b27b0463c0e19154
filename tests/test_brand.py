"""The brand images Home Assistant 2026.3+ shows for the integration (icon and logo)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
import pytest

BRAND = Path(__file__).resolve().parent.parent / "custom_components/harmony_music/brand"


@pytest.mark.parametrize(("name", "pixels"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_icon_follows_the_brands_rules(name: str, pixels: int) -> None:
    """Square at the size the brands rules give, transparent around the mark, trimmed."""
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.size == (pixels, pixels)
        assert image.mode == "RGBA"
        alpha = image.getchannel("A")
        assert alpha.getpixel((0, 0)) == 0  # no plate behind the mark
        assert alpha.getpixel((pixels // 2, pixels // 2)) == 0  # the ring is open inside
        left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
        # Trimmed: the mark reaches the edges along its longer side (no padding).
        assert (left, right) == (0, pixels) or (top, bottom) == (0, pixels)
