"""The problems of a load, collected and worded: the `_Collector` that gathers them (with paths shown
relative to the content folder's parent), and pydantic's validation errors turned into problems a content
editor can act on, each at the field as the file names it (`_field_name`), about the value YAML read
there (`_value_at`), with a message that says what to do (`_explain`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pydantic_core import ErrorDetails

from alliance_bot.digest.files import shown
from alliance_bot.digest.model import SLUG_PATTERN
from alliance_bot.digest.result import Problem

_SLUG = re.compile(SLUG_PATTERN)
_VALIDATOR_STEP = re.compile(r"[\[(]")  # pydantic names union branches like 'function-before[...]' in locs

_COERCED_HINT = {
    bool: "YAML reads the unquoted {raw!r} as {value!r}; put it in quotes",
    int: "YAML reads the unquoted {raw!r} as a number; put it in quotes",
    float: "YAML reads the unquoted {raw!r} as a number; put it in quotes",
    dt.date: "YAML reads the unquoted {raw!r} as a date; put it in quotes",
    dt.datetime: "YAML reads the unquoted {raw!r} as a date and time; put it in quotes",
}

_LENGTH_REASON = " so that it fits a Discord embed with its citations"


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            self.real_root = root.resolve()
        except (RuntimeError, OSError):  # a loop: not a folder, which the load reports
            self.real_root = root.absolute()
        self.problems: list[Problem] = []
        self.skipped_references = 0  # set by the cross-file checks when a file could not be read

    def rel(self, path: Path) -> str:
        try:
            return shown(path.relative_to(self.root.parent))
        except ValueError:
            return shown(path)

    def add(self, file: str, line: int | None, field_name: str, message: str, column: int | None = None) -> None:
        self.problems.append(Problem(file, line, field_name, message, column))


def _field_name(kind: str, index: int, entry: object, loc: tuple[int | str, ...]) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    if kind == "anniversaries" and isinstance(entry, dict) and isinstance(entry.get("event"), str):
        ident = entry["event"]
    head = f"{kind}.{ident}" if isinstance(ident, str) and _SLUG.match(ident) else f"{kind}[{index}]"
    out = head
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _explain(err: ErrorDetails, raw_value: str | None, value: object) -> str:
    kind = err["type"]
    msg = err["msg"]
    ctx = err.get("ctx") or {}
    if raw_value is not None and kind in {"string_type", "list_type", "enum", "literal_error", "model_type"}:
        for typ, hint in _COERCED_HINT.items():
            if type(value) is typ:
                return hint.format(raw=raw_value, value=value)
    if kind == "string_type" and value is None:
        return "a text value is required here (it is empty)"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see docs/content-format.md)"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "?"
        return f"text is {length:,} characters; the limit is {ctx.get('max_length'):,}{_LENGTH_REASON}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid id: use lowercase letters, digits and hyphens (2 to 64 characters)"
    if kind == "too_short" and isinstance(value, list) and not value:
        return "at least one entry is required"
    if kind == "value_error":
        return str(ctx.get("error", msg))
    if kind == "enum":
        return f"{value!r} is not one of: {ctx.get('expected')}"
    return msg


def _value_at(data: object, loc: tuple[int | str, ...]) -> object:
    for part in loc:
        if isinstance(data, dict) and part in data:  # noqa: SIM114 - two branches, so that mypy narrows each
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data
