"""A cache of checked content files, so that a restart does not read unchanged YAML again.

Reading YAML is most of the loading time (at a hundred times the shipped digest,
about 3 of 7 seconds: libyaml makes a Python object for every value, and we
keep the line of each). For every content file that passed its own checks, the
cache keeps that file's entries as JSON, with the line of each entry, under the
SHA-256 of the file's bytes and of the code that reads and checks it (and of
the file's path, so that each content file keeps one cache file). The next
load of the same bytes reads that JSON back through the very same strict schema
(pydantic's JSON validation, in Rust), instead of parsing the YAML.

What it never changes:
- every check across files (unique ids, citations against the source texts,
  references, groups, anniversaries) runs on every load, from whatever mix of
  cached and freshly read files;
- when a load finds any problem, it is redone without the cache, so problems and
  their lines are exactly those of an uncached load;
- the cache holds data only (no pickle): a damaged, foreign or unreadable cache
  file is a miss, and a cache that cannot be written (read-only, full disk) only
  costs speed. Whoever can write the cache folder can change what the bot says,
  as whoever can write its database or content folder can: keep it in the bot's
  own folders.

The folder is `ALLIANCE_BOT_CACHE_DIR` (default `$XDG_CACHE_HOME/alliance-bot`,
else `~/.cache/alliance-bot`; `off` disables it). A successful load removes the
cache files of older versions of its files, and those no load has used for 30
days.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pydantic
import yaml
from pydantic import ConfigDict, Field, ValidationError

from alliance_bot.digest.model import KINDS, ContentFile, Entry

log = logging.getLogger(__name__)

FORMAT = 2  # 2: treaties have search_terms, position citations `holds` (#17)
OFF_WORDS = frozenset({"off", "none", "no", "false", "0", "disabled"})
MAX_CACHED_BYTES = 16 * 1024 * 1024  # what a content file (at most 2 MB of YAML) becomes is far smaller
UNUSED_SECONDS = 30 * 24 * 3600  # a cache file of a content file no load has read for this long is removed
_NAME = re.compile(r"^([0-9a-f]{16})-[0-9a-f]{64}\.json$")
# the code whose behaviour a cached file stands for: a change to any of these is a new cache
_CODE_FILES = (
    "cache.py",
    "crosscheck.py",
    "dates.py",
    "files.py",
    "loader.py",
    "model.py",
    "problems.py",
    "result.py",
    "yamlread.py",
)


class CachedFile(ContentFile):
    """One content file that passed its own checks: its entries by kind (the fields of ContentFile), in file
    order, and their lines."""

    model_config = ConfigDict(extra="forbid", strict=True, title="alliance_bot cached content file")

    format: Literal[2]  # FORMAT
    data_hash: str = Field(description="SHA-256 of the file's values (the digest version is made of these)")
    kinds: list[str] = Field(description="the kinds in the file, in file order")
    lines: dict[str, list[int | None]] = Field(description="per kind: the line of each entry")

    def entries(self, kind: str) -> Sequence[Entry]:
        """The entries of one of the KINDS."""
        by_kind: dict[str, Sequence[Entry]] = {
            "sources": self.sources,
            "events": self.events,
            "treaties": self.treaties,
            "facts": self.facts,
            "viewpoints": self.viewpoints,
            "anniversaries": self.anniversaries,
        }
        return by_kind[kind]


def _code_fingerprint() -> bytes:
    from alliance_bot import __version__

    h = hashlib.sha256(
        f"format {FORMAT}\0{__version__}\0{sys.version}\0{pydantic.VERSION}\0{yaml.__version__}\0".encode()
    )
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        try:
            h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
        except OSError:  # not installed as files (a zip?): the version alone must tell
            h.update(name.encode() + b"\0?\0")
    return h.digest()


def default_cache_dir() -> Path | None:
    """$XDG_CACHE_HOME/alliance-bot, else ~/.cache/alliance-bot; None (no cache) for a user without a home."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no HOME and no passwd entry (an arbitrary container uid)
            return None
    return Path(base) / "alliance-bot"


def parse_cache_setting(value: str | os.PathLike[str] | None) -> Path | None:
    """The folder a setting names; None for `off` (and its synonyms)."""
    if value is None:
        return default_cache_dir()
    if isinstance(value, str):
        if value.strip().lower() in OFF_WORDS:
            return None
        if not value.strip():
            return default_cache_dir()
        return Path(value.strip()).expanduser()
    return Path(value)


class ContentCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._code: bytes | None = None
        self._warned = False
        self.hits = 0
        self.misses = 0

    def key(self, origin: str, raw: bytes) -> str:
        """`<slot>-<hash>`: the slot names the file (its absolute path), the hash its bytes and the code."""
        if self._code is None:
            self._code = _code_fingerprint()
        slot = hashlib.sha256(origin.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        return f"{slot}-{hashlib.sha256(self._code + raw).hexdigest()}"

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> CachedFile | None:
        try:
            path = self._path(key)
            if path.stat().st_size > MAX_CACHED_BYTES:
                raise OSError("too large to be ours")
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        try:
            cached = CachedFile.model_validate_json(data)
        except ValidationError:
            self.misses += 1
            log.debug("content cache: %s is not a valid cache file; reading the YAML instead", key)
            return None
        if len(set(cached.kinds)) != len(cached.kinds) or any(
            kind not in KINDS or len(cached.entries(kind)) != len(cached.lines.get(kind, ())) for kind in cached.kinds
        ):
            self.misses += 1  # not what put() writes
            return None
        self.hits += 1
        return cached

    def put(self, key: str, cached: CachedFile) -> None:
        """Write atomically; a failure (read-only folder, full disk) is logged once and otherwise ignored."""
        tmp: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.folder)
            with os.fdopen(fd, "wb") as out:
                out.write(cached.model_dump_json().encode())
            os.replace(tmp, self._path(key))
            tmp = None
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning(
                    "content cache: cannot write to %s (%s); loading works, only slower",
                    self.folder,
                    exc.strerror or exc,
                )
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def prune(self, used: set[str], *, now: float | None = None) -> int:
        """After a successful load: mark the cache files it used as used now, and remove those it replaced.

        A replaced file is an older version of a content file this load read (the same slot, another
        hash): each content file keeps one cache file. Cache files of other content files (another
        content folder checked with the same cache) are removed when unused for 30 days.
        Returns how many were removed.
        """
        now = time.time() if now is None else now
        slots = {key.split("-", 1)[0] for key in used}
        removed = 0
        try:
            names = os.listdir(self.folder)
        except OSError:
            return 0
        for name in names:
            path = self.folder / name
            try:
                if name.startswith(".tmp-"):
                    if path.stat().st_mtime < now - 3600:  # left by a process killed mid-write
                        path.unlink()
                    continue
                match = _NAME.match(name)
                if not match:
                    continue  # not ours: leave it
                if name[:-5] in used:
                    os.utime(path, (now, now))
                elif match.group(1) in slots or path.stat().st_mtime < now - UNUSED_SECONDS:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed
