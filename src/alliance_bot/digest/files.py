"""Reading the content folder safely: its content files (every *.yaml and *.yml outside hidden folders and
the top-level `sources/`, at most MAX_FILES), each path confined to the folder through symbolic links and
`..`, only regular files read and within their size limits, every refusal a problem; and `shown`, a path as
text that any output can carry.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from alliance_bot.digest.yamlread import MAX_FILE_BYTES

if TYPE_CHECKING:
    from alliance_bot.digest.problems import _Collector

MAX_SOURCE_TEXT_BYTES = 2 * 1024 * 1024
MAX_FILES = 500
YAML_SUFFIXES = (".yaml", ".yml")
SOURCES_FOLDER = "sources"  # content/sources/: the documents' texts, never read as content files


def shown(path: Path | str) -> str:
    """A path as text that any output (a terminal, JSON, Discord) can carry: the bytes of a name that
    are not UTF-8 (which Python keeps as surrogate escapes) are written as \\xNN."""
    text = str(path)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no bytes give
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _Refused(Exception):
    """A path the loader does not follow; the message completes "<path> …"."""


class _NotRegular(Exception):
    pass


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


_OUTSIDE = "is outside the content folder; only files inside it are read"
_LINK_OUTSIDE = "is outside the content folder (through a symbolic link); only files inside it are read"
_LOOP = "is a symbolic link loop: it leads back to itself"
_FOLDER_LOOP = "is a symbolic link loop: it leads back to a folder it is in"


def confined(real_root: Path, path: Path) -> Path:
    """`path` with every symbolic link and `..` resolved, when that stays inside the content folder.

    The one rule for every file the loader reads (content files and source texts) and every folder it
    walks into: `real_root` is the content folder, resolved. A symbolic link, a `..` or an absolute
    path that leads outside raises _Refused, as does a symbolic link loop or a NUL character.
    """
    if "\0" in str(path):
        raise _Refused("contains a NUL character, which no file name can")
    try:
        real = path.resolve()
    except RuntimeError:  # Python 3.11 reports a loop so
        raise _Refused(_LOOP) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Refused(_LOOP) from None
        raise _Refused(f"cannot be followed: {exc.strerror or exc}") from None
    if not real.is_relative_to(real_root):
        raise _Refused(_OUTSIDE)
    return real


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular(real: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; `real` is a path confined() returned.

    A FIFO, socket, device or folder is never read (a FIFO would block the load for ever): it raises
    _NotRegular. The file is checked before opening, then opened without blocking and without following
    a symbolic link, and checked again on the open file, so that one swapped in meanwhile cannot block
    or lead elsewhere either. Raises _TooLarge, FileNotFoundError or another OSError too.
    """
    if not stat.S_ISREG(os.stat(real).st_mode):
        raise _NotRegular()
    with os.fdopen(os.open(real, _OPEN_FLAGS), "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular()
        if info.st_size > limit:
            raise _TooLarge(info.st_size)
        data = file.read(limit + 1)
    if len(data) > limit:  # it grew since
        raise _TooLarge(len(data))
    return data


def _read_bytes(path: Path, col: _Collector) -> tuple[Path, bytes] | None:
    """A content file's resolved path and bytes, or None with the problem noted."""
    rel = col.rel(path)
    try:
        real = confined(col.real_root, path)
        return real, read_regular(real, MAX_FILE_BYTES)
    except _Refused as exc:
        col.add(rel, None, "", _LINK_OUTSIDE if str(exc) == _OUTSIDE else str(exc))
    except _NotRegular:
        col.add(rel, None, "", "not a regular file")
    except _TooLarge as exc:
        col.add(rel, None, "", f"file is {exc.size:,} bytes; content files are limited to {MAX_FILE_BYTES:,}: split it")
    except OSError as exc:
        col.add(rel, None, "", f"cannot read the file: {exc.strerror or exc}")
    return None


def _content_files(root: Path, col: _Collector) -> list[Path]:
    """Every *.yaml and *.yml under `root`, outside hidden folders, in path order.

    A symbolic link (to a content file or to a folder) is followed only where it stays inside the
    content folder (confined()); one that leads outside, or back into a folder it is in, is a problem.
    """
    files: list[Path] = []

    def walk(folder: Path, inside: tuple[Path, ...]) -> None:  # inside: the real folders being walked
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            col.add(col.rel(folder), None, "", f"cannot read the folder: {exc.strerror or exc}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            is_content = path.suffix in YAML_SUFFIXES
            if folder == root and entry.name == SOURCES_FOLDER:
                continue  # the source texts; a .yaml there is not content (docs/content-format.md)
            if not entry.is_symlink():
                if entry.is_dir(follow_symlinks=False):
                    walk(path, (*inside, inside[-1] / entry.name))
                elif is_content:
                    files.append(path)  # a FIFO or device is refused when read
                continue
            is_dir = os.path.isdir(path)
            if not (is_dir or is_content):
                continue  # not content, wherever it leads
            try:
                real = confined(col.real_root, path)
            except _Refused as exc:
                col.add(col.rel(path), None, "", _LINK_OUTSIDE if str(exc) == _OUTSIDE else str(exc))
                continue
            if not is_dir:
                files.append(path)
            elif real in inside:
                col.add(col.rel(path), None, "", _FOLDER_LOOP)
            else:
                walk(path, (*inside, real))

    walk(root, (col.real_root,))
    files.sort()
    if len(files) > MAX_FILES:
        col.add(col.rel(root), None, "", f"{len(files)} content files; at most {MAX_FILES} are read")
        files = files[:MAX_FILES]
    return files
