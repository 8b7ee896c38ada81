"""Pictures of answers: a timeline (timeline_image.py) and the usage charts (charts.py), drawn with Pillow.

Pure presentation: a plain answer object in (a `TimelineAnswer`, the stats `Usage`), a `Picture` out (PNG
bytes, its size, the alt text for screen readers, and where every label was drawn, as data for the tests).
Nothing here imports discord or does I/O beyond reading the bundled font; the Discord layer runs these
functions in a thread pool and caches their results (cache.py). Every word drawn comes from labels.py, the
one place a translation (the Korean edition) adds its table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelBox:
    """One text drawn in the picture: what it says, the entry it belongs to (an event id, a command) and its
    box in pixels (left, top, right, bottom)."""

    text: str
    box: tuple[int, int, int, int]
    ref: str = ""
    role: str = "label"  # label | title | legend | axis | note | value


@dataclass(frozen=True)
class Picture:
    png: bytes
    width: int
    height: int
    alt: str  # the attachment's description: what a screen reader says instead of the picture
    filename: str
    labels: tuple[LabelBox, ...] = ()
    lang: str = "en"
