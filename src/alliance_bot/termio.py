"""Text at the command line's edges: arguments in, answers out, whatever the bytes and the terminal.

An argument whose bytes are not UTF-8 reaches Python as surrogate escapes
(`\\xff` becomes '\\udcff'), which no strict encoder writes. User text (a
query, a date, a tag) is therefore made plain text on the way in (user_text:
those bytes become U+FFFD, as when any text is decoded with errors='replace');
paths keep their bytes, since they must open the very file. On the way out,
safe_output() makes standard output and error write a character their encoding
lacks (a path's escaped bytes, an en dash on an ASCII terminal) as a backslash
escape, as Python already does on standard error, instead of failing; and
write_json() writes JSON as ASCII when the output cannot encode all of Unicode,
so that it stays the same valid JSON.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from typing import TextIO

_SURROGATE = re.compile("[\ud800-\udfff]")


def user_text(value: str) -> str:
    """A command-line argument as text: bytes that were not UTF-8 become U+FFFD."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no bytes give (a caller in Python)
        return _SURROGATE.sub("\ufffd", value)


def encodes_everything(stream: object) -> bool:
    """Whether `stream` can write any character (UTF-8 and the like), not only some (ASCII, Latin-1)."""
    try:
        "\u2013\U0001f600".encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def safe_output() -> None:
    """Standard output and error write what their encoding lacks as backslash escapes, never an exception.

    Left alone: a stream that already does not fail, or that passes escaped bytes on as they came
    (surrogateescape, Python's choice under the C locale) with an encoding that has every character.
    """
    for stream in (sys.stdout, sys.stderr):
        errors = getattr(stream, "errors", None)
        if errors == "strict" or (errors == "surrogateescape" and not encodes_everything(stream)):
            with contextlib.suppress(AttributeError, ValueError, OSError):  # not a text stream we can change
                stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]  # not on TextIO: suppressed


def write_json(data: object, out: TextIO | None = None) -> None:
    """`data` as indented JSON and a newline: Unicode as is where the output can write it, else \\u escapes."""
    out = out if out is not None else sys.stdout
    json.dump(data, out, ensure_ascii=not encodes_everything(out), indent=2)
    out.write("\n")
