"""The content folder's files as a change sees them: read, checked in a copy, compared, written, committed.

- `snapshot` reads the files the changes manage (content files and source texts, outside hidden folders), with
  the loader's own confinement (`digest.files.confined`, `read_regular`): a symbolic link out of the folder, a
  FIFO or an oversized file is refused, never followed.
- `check` writes a whole content set into a temporary folder of the same name and loads it with the digest's
  own loader (`load_digest`), so its problems read as `content check`'s (`content/events.yaml:12: …`).
- `review` is what a moderator sees before applying: the entries added, changed (with the fields that differ)
  and removed, by the loader's fingerprints (`diff_digests`).
- `write` puts files in place atomically: each one a temporary file beside it, fsync'd, renamed over it, then
  the folder fsync'd; a removal unlinks. Paths are confined to the folder before anything is written.
- `git_commit` makes each applied change a commit when the folder is in a git work tree, by running `git`
  (never a shell) with the moderator's name and note.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliance_bot.digest.files import confined, read_regular
from alliance_bot.digest.loader import load_digest
from alliance_bot.digest.result import Digest, LoadResult, diff_digests
from alliance_bot.storage.content_changes import Files
from alliance_bot.updates.bundle import MAX_UNPACKED_BYTES, Upload, UploadRefused, limit_for, managed

GIT_TIMEOUT = 30.0
FIELD_SHOWN = 80  # characters of a value shown in a field's diff


class FolderProblem(Exception):
    """The content folder itself cannot be read or written as a change needs; the message says why."""


def snapshot(root: Path) -> dict[str, bytes]:
    """The managed files of the content folder by relative path (`events.yaml`, `sources/000_oh.txt`)."""
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise FolderProblem(f"the content folder {root} cannot be read: {exc}") from None
    out: dict[str, bytes] = {}
    total = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or not managed(name):
                continue
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            try:
                real = confined(real_root, path)
                data = read_regular(real, limit_for(rel))
            except Exception as exc:  # refused (outside the folder, a FIFO, too large) or unreadable
                raise FolderProblem(f"{root.name}/{rel} cannot be read safely ({exc or type(exc).__name__})") from None
            total += len(data)
            if total > MAX_UNPACKED_BYTES * 4:
                raise FolderProblem(f"the content folder {root} holds more than {MAX_UNPACKED_BYTES * 4:,} bytes")
            out[rel] = data
    return out


def files_version(files: dict[str, bytes]) -> str:
    """One short hash of every managed file's path and bytes: what a proposal was made on."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()[:16]


def target_path(current: dict[str, bytes], filename: str) -> str:
    """Where one uploaded file goes: over the file of that name (the export's, wherever it is in the folder),
    else a new file at the top (a .txt source text: in sources/)."""
    same = [p for p in current if p.rsplit("/", 1)[-1] == filename]
    if len(same) == 1:
        return same[0]
    if len(same) > 1:
        raise UploadRefused(
            f"the content folder has {len(same)} files called {filename} ({', '.join(sorted(same)[:4])}); "
            "upload a zip of the folder to say which"
        )
    return f"sources/{filename}" if filename.endswith(".txt") else filename


def proposed(current: dict[str, bytes], upload: Upload) -> dict[str, bytes]:
    """The whole set of files as it would be after the upload."""
    if upload.whole:
        return dict(upload.files)
    ((name, data),) = upload.files.items()
    after = dict(current)
    after[target_path(current, name)] = data
    return after


def changes(before: dict[str, bytes], after: dict[str, bytes]) -> tuple[Files, Files]:
    """(files before, files after) of only the paths that differ: text, or None where there is no file."""
    paths = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    old: Files = {p: before[p].decode("utf-8") if p in before else None for p in paths}
    new: Files = {p: after[p].decode("utf-8") if p in after else None for p in paths}
    return old, new


def apply_files(base: dict[str, bytes], files: Files) -> dict[str, bytes]:
    out = dict(base)
    for path, text in files.items():
        if text is None:
            out.pop(path, None)
        else:
            out[path] = text.encode("utf-8")
    return out


def check(root: Path, files: dict[str, bytes]) -> LoadResult:
    """Load `files` as a content folder named like `root`, in a temporary copy (blocking: run it in a thread)."""
    with tempfile.TemporaryDirectory(prefix="alliance-bot-check-") as tmp:
        copy = Path(tmp) / root.name
        copy.mkdir()
        for rel, data in files.items():
            path = copy / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        result = load_digest(copy)
        if result.digest is not None:
            result.digest.root = root
        return result


def _entry(digest: Digest, key: str) -> dict[str, Any] | None:
    if key.startswith("anniversary:"):
        ann = digest.anniversaries.get(key.split(":", 1)[1])
        return ann.model_dump(mode="json") if ann is not None else None
    kind = digest.kind_of(key)
    if kind is None:
        return None
    value = getattr(digest, kind)[key]
    dumped: dict[str, Any] = value.model_dump(mode="json")
    return dumped


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= FIELD_SHOWN else text[: FIELD_SHOWN - 1] + "…"


@dataclass(frozen=True)
class Review:
    added: list[str]
    changed: dict[str, list[str]]  # id -> "field: old → new" lines
    removed: list[str]
    files: list[str]  # the paths that change: "+ path", "~ path", "- path"
    counts: dict[str, int]  # the entries per kind after the change
    skipped: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "files": self.files,
            "counts": self.counts,
            "skipped": self.skipped,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Review:
        return cls(
            list(data.get("added", [])),
            dict(data.get("changed", {})),
            list(data.get("removed", [])),
            list(data.get("files", [])),
            dict(data.get("counts", {})),
            list(data.get("skipped", [])),
        )

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.files)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"


def review(old: Digest, new: Digest, before: Files, after: Files, skipped: list[str] | None = None) -> Review:
    diff = diff_digests(old, new)
    changed: dict[str, list[str]] = {}
    for key in diff.changed:
        a, b = _entry(old, key) or {}, _entry(new, key) or {}
        lines = []
        for name in [*a.keys(), *(k for k in b if k not in a)]:
            if a.get(name) != b.get(name):
                lines.append(f"{name}: {_short(a.get(name))} → {_short(b.get(name))}")
        changed[key] = lines
    files = [
        ("+ " if before[p] is None else "- " if after[p] is None else "~ ") + p for p in sorted(after.keys() | before)
    ]
    return Review(diff.added, changed, diff.removed, files, new.counts(), list(skipped or []))


def write(root: Path, files: Files) -> None:
    """Put `files` in place in the content folder (blocking): each write atomic, removals after the writes."""
    real_root = root.resolve(strict=True)
    targets: list[tuple[Path, str | None]] = []
    for rel, text in files.items():
        path = root / rel
        try:
            real = confined(real_root, path)
        except Exception as exc:
            raise FolderProblem(f"{root.name}/{rel} cannot be written: it {exc}") from None
        targets.append((real, text))
    touched: set[Path] = set()
    for real, text in targets:
        if text is None:
            continue
        real.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(text.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, real)
        except BaseException:
            with _quiet():
                os.unlink(tmp)
            raise
        touched.add(real.parent)
    for real, text in targets:
        if text is None and real.exists():
            real.unlink()
            touched.add(real.parent)
    for folder in touched:
        _fsync_folder(folder)


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


async def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    git = shutil.which("git")
    if git is None:
        return 127, "git is not installed"
    proc = await asyncio.create_subprocess_exec(
        git,
        "-C",
        str(root),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {}), "GIT_TERMINAL_PROMPT": "0"},
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return 124, f"git {args[0]} took longer than {GIT_TIMEOUT:g} s"
    return proc.returncode or 0, out.decode("utf-8", "replace").strip()


def _first(output: str) -> str:
    """git's message on one line, its start (where git says what went wrong), at most 300 characters."""
    return " ".join(output.split())[:300] or "no message"


def _identity(name: str) -> str:
    cleaned = "".join(c for c in name if c.isprintable() and c not in "<>\n\r").strip()
    return cleaned[:100] or "a moderator"


async def git_commit(root: Path, paths: list[str], *, author: str, author_id: int | None, message: str) -> str | None:
    """Commit `paths` (inside `root`) when `root` is in a git work tree: the commit's id, None when it is not a
    git work tree. Raises FolderProblem (one line) when the commit fails."""
    code, out = await _git(root, "rev-parse", "--is-inside-work-tree")
    if code != 0 or out != "true":
        return None
    name = _identity(author)
    email = f"{author_id}@discord.invalid" if author_id else "cli@alliance-bot.invalid"
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": "alliance-bot",
        "GIT_COMMITTER_EMAIL": "alliance-bot@localhost.invalid",
    }
    code, out = await _git(root, "add", "-A", "--", *paths, env=env)
    if code != 0:
        raise FolderProblem(f"git add failed: {_first(out)}")
    code, out = await _git(root, "commit", "--no-verify", "-q", "-m", message, "--", *paths, env=env)
    if code != 0:
        raise FolderProblem(f"git commit failed: {_first(out)}")
    code, out = await _git(root, "rev-parse", "HEAD")
    return out[:40] if code == 0 else None
