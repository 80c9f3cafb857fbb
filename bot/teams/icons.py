"""The two icons a Teams app package must hold, drawn with Pillow (the imaging library matplotlib already
brings in): a full-colour 192x192 icon, and a 32x32 outline icon that is white on a transparent background
(Teams tints it; any other colour is refused at upload). The drawing is a drum seen from the side."""

from __future__ import annotations

import io
from typing import Final

from PIL import Image, ImageDraw

COLOR_SIZE: Final = 192
OUTLINE_SIZE: Final = 32
WHITE: Final = (255, 255, 255, 255)


def _drum(draw: ImageDraw.ImageDraw, size: int, *, fill: tuple[int, int, int, int] | None,
          outline: tuple[int, int, int, int], width: int) -> None:
    """A drum in the middle of a `size` square: the skin (an ellipse), the shell, and two crossed sticks."""
    left, right = size * 0.22, size * 0.78
    top, bottom, skin = size * 0.42, size * 0.80, size * 0.14
    draw.rectangle((left, top + skin / 2, right, bottom), fill=fill)
    draw.ellipse((left, bottom - skin / 2, right, bottom + skin / 2), fill=fill, outline=outline, width=width)
    draw.rectangle((left, top + skin / 2, right, bottom), fill=fill)
    draw.line((left, top + skin / 2, left, bottom), fill=outline, width=width)
    draw.line((right, top + skin / 2, right, bottom), fill=outline, width=width)
    draw.ellipse((left, top, right, top + skin), fill=fill, outline=outline, width=width)
    draw.line((size * 0.30, size * 0.12, size * 0.52, size * 0.44), fill=outline, width=width)
    draw.line((size * 0.70, size * 0.12, size * 0.48, size * 0.44), fill=outline, width=width)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def color_icon(accent: str) -> bytes:
    """192x192: the drum in white on the app's accent colour, edge to edge (Teams rounds the corners)."""
    background = tuple(int(accent[i:i + 2], 16) for i in (1, 3, 5)) + (255,)
    image = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), background)  # type: ignore[arg-type]
    _drum(ImageDraw.Draw(image), COLOR_SIZE, fill=background, outline=WHITE, width=8)  # type: ignore[arg-type]
    return _png(image)


def outline_icon() -> bytes:
    """32x32: the drum's lines in white, everything else fully transparent."""
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (0, 0, 0, 0))
    _drum(ImageDraw.Draw(image), OUTLINE_SIZE, fill=None, outline=WHITE, width=2)
    return _png(image)
