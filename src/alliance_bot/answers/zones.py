"""Time zones: the one rule for which names the bot accepts, and the one loader everything calls.

The accepted names are the IANA names of the tzdata package the project depends on (its
`zones` list, which `zoneinfo.available_timezones()` reads too), on every host alike. A
host's own zoneinfo folder may hold more (`right/…`, `posix/…`, `localtime`,
`posixrules`) that `ZoneInfo()` would load there but not in a slim container, which has
only the package: those are refused everywhere. An accepted name is loaded by `ZoneInfo()`
as usual (from the host's folder when it has that file, else from the package), so every
accepted name loads on every host, and the objects are the standard cached ones.

A refused name gets one line saying what is wrong and, where a close name exists, which
one was meant (`Asia` is a region; `asia/seoul` means Asia/Seoul).
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.userdates import shown

MAX_NAME = 64  # the longest IANA name is 32 characters; Discord's option allows 64
HINT = "use an IANA name such as Asia/Seoul or America/New_York"
_REGION_EXAMPLES = {
    "Africa": "Africa/Nairobi",
    "America": "America/New_York",
    "Asia": "Asia/Seoul",
    "Australia": "Australia/Sydney",
    "Europe": "Europe/London",
    "Etc": "Etc/UTC",
    "Pacific": "Pacific/Auckland",
    "US": "US/Eastern",
}


class ZoneError(InvalidInput):
    """A time zone name the bot does not accept; the message says why, in one line."""


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    """The accepted names: the tzdata package's list (empty when the package is missing)."""
    try:
        text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(text.split())


def load_zone(name: str) -> ZoneInfo:
    """The zone of an accepted name, or ZoneError with a one-line reason (and a suggestion where there is one)."""
    text = name.strip()
    if text in zone_names():
        try:
            return ZoneInfo(text)
        except Exception as exc:
            raise ZoneError(
                f"the time zone data for {text} cannot be read ({type(exc).__name__}): reinstall the tzdata package"
            ) from None
    raise ZoneError(_refusal(text))


def _refusal(text: str) -> str:
    if not zone_names():
        return "no time zone data: install the tzdata package (pip install tzdata)"
    if not text:
        return f"no time zone given: {HINT}"
    quoted = shown(text, 40)
    if len(text) > MAX_NAME or not text.isprintable():
        return f"{quoted} is not a time zone name: {HINT}"
    region = _regions().get(_fold(text).strip("/"))
    if region is not None:
        return f"{quoted} is a region, not a time zone: name a place in it, e.g. {region}"
    meant = _suggestion(text)
    if meant is not None:
        return f"unknown time zone {quoted}: did you mean {meant}?"
    return f"unknown time zone {quoted}: {HINT}"


def _fold(text: str) -> str:
    return "_".join(text.lower().split())


@lru_cache(maxsize=1)
def _folded() -> dict[str, str]:
    return {_fold(n): n for n in sorted(zone_names())}


@lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    """Folded region ("asia", "america/argentina") -> an example zone in it."""
    out: dict[str, str] = {}
    for name in sorted(zone_names()):
        parts = name.split("/")
        for i in range(1, len(parts)):
            region = "/".join(parts[:i])
            out.setdefault(_fold(region), _REGION_EXAMPLES.get(region, name))
    return out


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """Folded last part ("seoul", "new_york") -> the first zone with it ("Asia/Seoul")."""
    out: dict[str, str] = {}
    for name in sorted(zone_names(), key=lambda n: ("/" not in n, n)):
        out.setdefault(_fold(name.rsplit("/", 1)[-1]), name)
    return out


def _suggestion(text: str) -> str | None:
    key = _fold(text).strip("/")
    for prefix in ("right/", "posix/"):  # the host's variants of the same zones
        key = key.removeprefix(prefix)
    folded, places = _folded(), _places()
    if key in folded:
        return folded[key]
    if key in places:
        return places[key]
    for table in (folded, places):
        close = difflib.get_close_matches(key, table, n=1, cutoff=0.8)
        if close:
            return table[close[0]]
    return None
