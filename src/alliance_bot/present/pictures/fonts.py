"""The one font of the pictures: Noto Sans KR (SIL Open Font License 1.1), which has Latin and Hangul, from the
`pylopdf-fonts-ko` package the project installs. Never fetched from the network; a missing package is an
error the caller turns into the text answer (a picture is never required)."""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from alliance_bot.present.pictures import LabelBox

NOTDEF_PROBE = "\U000f0000"  # a private-use code point no font of ours maps: drawn as the font's notdef box


@lru_cache(maxsize=1)
def font_path() -> Path:
    import pylopdf_fonts_ko

    path = Path(pylopdf_fonts_ko.sans_path())
    if not path.is_file():
        raise FileNotFoundError(f"the bundled font is missing: {path}")
    return path


_local = threading.local()


def font(size: int) -> ImageFont.FreeTypeFont:
    """The font at `size` pixels, loaded once per size and thread: a FreeType face is not safe to use from two
    threads at once, and the render pool has two (loading one takes under a millisecond)."""
    fonts: dict[int, ImageFont.FreeTypeFont] | None = getattr(_local, "fonts", None)
    if fonts is None:
        fonts = _local.fonts = {}
    loaded = fonts.get(size)
    if loaded is None:
        # basic layout: no shaping library needed for Latin and precomposed Hangul, and the same on every machine
        loaded = fonts[size] = ImageFont.truetype(str(font_path()), size, layout_engine=ImageFont.Layout.BASIC)
    return loaded


def glyph_mask(text: str, size: int = 32) -> tuple[tuple[int, int], bytes]:
    """The bitmap `text` is drawn with (its size and bytes): two characters drawn alike look alike here."""
    mask = font(size).getmask(text)
    return mask.size, bytes(mask)


def has_glyphs(text: str, size: int = 32) -> bool:
    """Whether every character of `text` has a glyph of its own, not the notdef box (spaces count as drawn)."""
    notdef = glyph_mask(NOTDEF_PROBE, size)
    return all(ch.isspace() or glyph_mask(ch, size) != notdef for ch in text)


def draw_text(
    draw: ImageDraw.ImageDraw,
    out: list[LabelBox],
    xy: tuple[float, float],
    text: str,
    size: int,
    fill: tuple[int, int, int],
    *,
    ref: str = "",
    role: str = "label",
    anchor: str = "lm",
) -> float:
    """Draw `text` (anchored at `xy`: left-middle by default) and record where (`out`); its right edge."""
    f = font(size)
    draw.text(xy, text, font=f, fill=fill, anchor=anchor)
    box = draw.textbbox(xy, text, font=f, anchor=anchor)
    out.append(LabelBox(text, (int(box[0]), int(box[1]), int(box[2]), int(box[3])), ref, role))
    return float(box[2])


PALETTE_COLOURS = 128


def png_bytes(image: Image.Image) -> bytes:
    """The picture as PNG with a palette of `PALETTE_COLOURS`: a few flat colours and the anti-aliased edges of
    text need no more (no visible difference), and the file is a third of the size and encodes in a third
    of the time of full colour (BENCHMARKS.md)."""
    out = io.BytesIO()
    image.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        out, format="PNG", compress_level=6
    )
    return out.getvalue()
