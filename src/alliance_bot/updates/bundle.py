"""What a moderator uploads, read safely: one YAML file, or a zip of the content folder.

The same rules as `content check` and more, since the bytes come from a stranger's computer: only `.yaml`,
`.yml` (content files) and `.txt` (source texts) inside; each within its size limit (2 MB), read with a bound
whatever the zip's headers claim (a zip bomb stops at the limit); at most MAX_FILES entries; names that are
plain relative paths (no `/` or drive at the start, no `..`, no backslash, NUL or control character, no hidden
part); no symbolic links, no encrypted entries, no name twice. Every refusal is an `UploadRefused` with one line
that says what to fix. What the files hold is checked later, by the digest's own loader, on a copy.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from alliance_bot.digest.files import MAX_FILES, MAX_SOURCE_TEXT_BYTES
from alliance_bot.digest.yamlread import MAX_FILE_BYTES

MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # an attachment (a zip or a YAML file) larger than this is never downloaded
MAX_UNPACKED_BYTES = 32 * 1024 * 1024  # all the files of a zip, unpacked
YAML_SUFFIXES = (".yaml", ".yml")
TEXT_SUFFIXES = (".txt",)
_JUNK = ("__MACOSX/",)  # what some zip tools add; skipped, and said so
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\:*?\"<>|]")


class UploadRefused(ValueError):
    """The upload cannot be used; the message (one line) says why and what to do."""


@dataclass
class Upload:
    """The files of an upload: `files` by their path inside the content folder; `whole` when it is the whole
    folder (a zip: the content files it lacks are removed), else one file added or replacing its namesake."""

    files: dict[str, bytes]
    whole: bool
    skipped: list[str] = field(default_factory=list)


def limit_for(path: str) -> int:
    return MAX_FILE_BYTES if path.endswith(YAML_SUFFIXES) else MAX_SOURCE_TEXT_BYTES


def managed(path: str) -> bool:
    """A file the uploads manage: a content file or a source text."""
    return path.endswith(YAML_SUFFIXES + TEXT_SUFFIXES)


def check_name(name: str) -> str:
    """`name` as a path inside the content folder, or UploadRefused."""
    shown = name.encode("unicode_escape").decode("ascii")[:120]
    if not name or len(name) > 255:
        raise UploadRefused(f"the name {shown!r} is empty or too long")
    if _BAD_CHARS.search(name):
        raise UploadRefused(f"the name {shown!r} has a backslash, colon, control or other character file names cannot")
    if name.startswith("/"):
        raise UploadRefused(f"{shown!r} is an absolute path; a zip holds paths inside the content folder")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UploadRefused(f"{shown!r} has an empty, '.' or '..' part: it could lead outside the content folder")
    if any(p.startswith(".") for p in parts):
        raise UploadRefused(f"{shown!r} is hidden (a part starts with '.'); the content folder ignores those")
    if not managed(name):
        raise UploadRefused(
            f"{shown!r} is not a content file: only .yaml and .yml files and .txt source texts can be uploaded"
        )
    return str(PurePosixPath(name))


def _utf8(path: str, data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UploadRefused(f"{path} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    if b"\0" in data:
        raise UploadRefused(f"{path} holds a NUL byte: it is not a text file")


def read_upload(filename: str, data: bytes) -> Upload:
    """The files of an uploaded attachment called `filename`."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"the file is {len(data):,} bytes; an upload is limited to {MAX_UPLOAD_BYTES:,}")
    lower = filename.lower()
    if lower.endswith(".zip"):
        return _read_zip(data)
    if "/" in filename or not filename.endswith(YAML_SUFFIXES + TEXT_SUFFIXES):
        raise UploadRefused(
            "upload one content file (.yaml, .yml, or a .txt source text) or a .zip of the content folder"
        )
    name = check_name(filename)
    if len(data) > limit_for(name):
        raise UploadRefused(f"{name} is {len(data):,} bytes; such files are limited to {limit_for(name):,}: split it")
    _utf8(name, data)
    return Upload({name: data}, whole=False)


def _read_zip(data: bytes) -> Upload:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadRefused(f"the .zip cannot be read ({exc}); make it again from the content folder") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_FILES * 2:
            raise UploadRefused(f"the zip has {len(infos)} entries; at most {MAX_FILES} files are read")
        entries: list[tuple[str, zipfile.ZipInfo]] = []
        skipped: list[str] = []
        for info in infos:
            name = info.orig_filename  # as stored: ZipInfo.filename has a leading "/" already stripped
            if name.startswith(_JUNK) or name.rsplit("/", 1)[-1].startswith("."):
                skipped.append(name[:120])
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UploadRefused(f"{name[:120]!r} is a symbolic link; a zip of content holds only files")
            if info.is_dir():
                check_dir = name.rstrip("/")
                if check_dir.startswith("/") or ".." in check_dir.split("/") or "\\" in check_dir:
                    raise UploadRefused(f"{name[:120]!r} could lead outside the content folder")
                continue
            if info.flag_bits & 0x1:
                raise UploadRefused(f"{name[:120]!r} is encrypted; zip the files without a password")
            if name.endswith(".schema.json"):  # the export's schema, sent back with the files
                skipped.append(name[:120])
                continue
            entries.append((name, info))
        names = [n for n, _ in entries]
        prefix = _common_folder(names)
        files: dict[str, bytes] = {}
        total = 0
        for name, info in entries:
            check_name(name)  # the name as stored, before its folder is taken off: "/etc/…" is refused as such
            path = check_name(name[len(prefix) :])
            if path in files:
                raise UploadRefused(f"{path} is in the zip twice")
            limit = limit_for(path)
            if info.file_size > limit:
                raise UploadRefused(f"{path} is {info.file_size:,} bytes unpacked; such files are limited to {limit:,}")
            try:
                with archive.open(info) as member:
                    body = member.read(limit + 1)  # bounded, whatever the header says
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                raise UploadRefused(f"{path} cannot be unpacked ({exc}); make the zip again") from None
            if len(body) > limit:
                raise UploadRefused(f"{path} is larger than {limit:,} bytes unpacked; split it")
            total += len(body)
            if total > MAX_UNPACKED_BYTES:
                raise UploadRefused(f"the zip unpacks to more than {MAX_UNPACKED_BYTES:,} bytes")
            _utf8(path, body)
            files[path] = body
        if len(files) > MAX_FILES:
            raise UploadRefused(f"the zip has {len(files)} files; at most {MAX_FILES} are read")
        if not any(p.endswith(YAML_SUFFIXES) for p in files):
            raise UploadRefused("the zip has no content file (.yaml): zip the content folder itself")
        return Upload(files, whole=True, skipped=skipped)


def _common_folder(names: list[str]) -> str:
    """`content/` when every file of the zip is inside that one folder (a zip of the folder, not of its files)."""
    if not names or any("/" not in n for n in names):
        return ""
    first = names[0].split("/", 1)[0] + "/"
    return first if all(n.startswith(first) for n in names) else ""
