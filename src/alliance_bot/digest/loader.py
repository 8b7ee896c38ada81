"""Load and validate the content folder, reporting every problem at once.

`load_digest(path)` returns a `LoadResult`: the `Digest` when everything is
valid, and the full list of `Problem`s (`file:line: field: message`) otherwise.
A digest is only ever built from a fully valid folder, so a caller that keeps
the last good digest never serves half an edit.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import hashlib
import os
import re
import stat
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alliance_bot.digest.dates import Precision
from alliance_bot.digest.model import (
    ANNIVERSARY_FIELDS,
    KINDS,
    SLUG_PATTERN,
    Anniversary,
    Citation,
    Event,
    Fact,
    Source,
    Treaty,
    Viewpoint,
    message_placeholders,
)
from alliance_bot.digest.cache import FORMAT, CachedFile, ContentCache
from alliance_bot.digest.yamlread import MAX_FILE_BYTES, Located, YamlProblem, read_yaml

MAX_SOURCE_TEXT_BYTES = 2 * 1024 * 1024
MAX_FILES = 500
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class Where:
    file: str
    line: int | None


@dataclass
class Digest:
    """The validated content, read-only once built."""

    root: Path
    sources: dict[str, Source]
    events: dict[str, Event]
    treaties: dict[str, Treaty]
    facts: dict[str, Fact]
    viewpoints: dict[str, Viewpoint]
    anniversaries: dict[str, Anniversary]  # by event id
    source_texts: dict[str, str]
    where: dict[str, Where] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)  # id -> hash of the entry
    version: str = ""

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "events": len(self.events),
            "treaties": len(self.treaties),
            "facts": len(self.facts),
            "viewpoints": len(self.viewpoints),
            "anniversaries": len(self.anniversaries),
        }

    def summary_line(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.counts().items())

    def kind_of(self, entry_id: str) -> str | None:
        for kind in ("sources", "events", "treaties", "facts", "viewpoints"):
            if entry_id in getattr(self, kind):
                return kind
        return None

    def facts_in_group(self, group: str) -> list[Fact]:
        return [f for f in self.facts.values() if f.group == group]


@dataclass
class LoadResult:
    digest: Digest | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.digest is not None and not self.problems


@dataclass
class Diff:
    added: list[str]
    changed: list[str]
    removed: list[str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def diff_digests(old: Digest | None, new: Digest) -> Diff:
    before = old.fingerprints if old else {}
    after = new.fingerprints
    return Diff(
        added=sorted(set(after) - set(before)),
        changed=sorted(k for k in after.keys() & before.keys() if after[k] != before[k]),
        removed=sorted(set(before) - set(after)),
    )


_WS = re.compile(r"\s+")
_SLUG = re.compile(SLUG_PATTERN)
_VALIDATOR_STEP = re.compile(r"[\[(]")  # pydantic names union branches like 'function-before[...]' in locs
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})


def normalise_for_quote(text: str) -> str:
    """Quote matching ignores whitespace and straight-versus-curly quote differences, nothing else."""
    return _WS.sub(" ", text.translate(_QUOTES)).strip()


_COERCED_HINT = {
    bool: "YAML reads the unquoted {raw!r} as {value!r}; put it in quotes",
    int: "YAML reads the unquoted {raw!r} as a number; put it in quotes",
    float: "YAML reads the unquoted {raw!r} as a number; put it in quotes",
    dt.date: "YAML reads the unquoted {raw!r} as a date; put it in quotes",
    dt.datetime: "YAML reads the unquoted {raw!r} as a date and time; put it in quotes",
}

_LENGTH_REASON = " so that it fits a Discord embed with its citations"


def shown(path: Path | str) -> str:
    """A path as text that any output (a terminal, JSON, Discord) can carry: the bytes of a name that
    are not UTF-8 (which Python keeps as surrogate escapes) are written as \\xNN."""
    text = str(path)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no bytes give
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            self.real_root = root.resolve()
        except (RuntimeError, OSError):  # a loop: not a folder, which the load reports
            self.real_root = root.absolute()
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        try:
            return shown(path.relative_to(self.root.parent))
        except ValueError:
            return shown(path)

    def add(self, file: str, line: int | None, field_name: str, message: str) -> None:
        self.problems.append(Problem(file, line, field_name, message))


def _field_name(kind: str, index: int, entry: Any, loc: tuple[Any, ...]) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    if kind == "anniversaries" and isinstance(entry, dict) and isinstance(entry.get("event"), str):
        ident = entry["event"]
    head = f"{kind}.{ident}" if isinstance(ident, str) and _SLUG.match(ident) else f"{kind}[{index}]"
    out = head
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _explain(err: dict[str, Any], raw_value: str | None, value: Any) -> str:
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


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


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
        col.add(rel, None, "", f"file is {exc.size:,} bytes; content files are limited to {MAX_FILE_BYTES:,}: "
                               "split it")
    except OSError as exc:
        col.add(rel, None, "", f"cannot read the file: {exc.strerror or exc}")
    return None


def _parse(raw: bytes, rel: str, col: _Collector) -> Located | None:
    try:
        return read_yaml(raw)
    except YamlProblem as exc:
        col.add(rel, exc.line, "", exc.message)
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a digest (or its indexes) is being built.

    Building allocates millions of objects that all stay alive; each automatic collection
    re-examines every one of them, so at a hundred times the shipped digest the collector took
    most of the time (composing its YAML: 8-10 s with it, 2-3 s without). Nothing built here is
    garbage, so pausing loses nothing; the collector resumes (if it was on) when the block ends,
    also on error. It is process-wide: while a reload builds in a worker thread, cyclic garbage
    of the serving thread waits too (memory, briefly); two builds at once may resume it early,
    which costs only speed. ContentStore collects once after a build (see library.py).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_digest(root: Path | str, cache: ContentCache | None = None) -> LoadResult:
    """Read, validate and cross-check every content file under `root`.

    With a `cache`, files whose bytes were read and checked before are taken from it (see
    digest/cache.py); when anything is wrong, the load is redone without it, so the problems
    reported are always those of reading every file.
    """
    with gc_paused():
        result, used, from_cache = _load_digest(Path(root), cache)
        if cache is None:
            return result
        if from_cache and not result.ok:
            result, _, _ = _load_digest(Path(root), None)
        elif result.ok:
            cache.prune(used)
        return result


def _load_digest(root: Path, cache: ContentCache | None) -> tuple[LoadResult, set[str], bool]:
    """The result, the keys of the cache files read or written, and whether any file came from the cache."""
    col = _Collector(root)
    used: set[str] = set()
    from_cache = False
    if not root.is_dir():
        col.add(shown(root), None, "", "content folder not found (set ALLIANCE_BOT_CONTENT_DIR or pass the folder)")
        return LoadResult(None, col.problems), used, from_cache

    entries: dict[str, list[tuple[Any, Where, tuple[Any, ...]]]] = defaultdict(list)
    # per kind: (model, where, (located, path-prefix)) for entries that passed the schema
    locs: dict[int, tuple[Located | None, tuple[Any, ...], str]] = {}
    hasher = hashlib.sha256()
    files = _content_files(root, col)
    if not files:
        col.add(col.rel(root), None, "", "no content files (*.yaml) found")
    for path in files:
        rel = col.rel(path)
        read = _read_bytes(path, col)
        if read is None:
            continue
        real, raw = read
        key = cache.key(str(real), raw) if cache is not None else ""
        cached = cache.get(key) if cache is not None else None
        if cached is not None:
            used.add(key)
            from_cache = True
            hasher.update(rel.encode() + b"\0" + cached.data_hash.encode())
            for kind in cached.kinds:
                for index, (obj, line) in enumerate(zip(cached.entries(kind), cached.lines[kind])):
                    entries[kind].append((obj, Where(rel, line), (kind, index)))
                    locs[id(obj)] = (None, (kind, index), rel)
            continue
        located = _parse(raw, rel, col)
        if located is None:
            continue
        data_hash = hashlib.sha256(repr(located.data).encode()).hexdigest()
        hasher.update(rel.encode() + b"\0" + data_hash.encode())
        data = located.data
        if data is None:
            col.add(rel, None, "", "the file is empty: it should hold a mapping such as `events:` with a list")
            continue
        if not isinstance(data, dict):
            col.add(rel, located.line_of(()), "",
                    f"the file must be a mapping of kinds ({', '.join(KINDS)}) to lists, not a {type(data).__name__}")
            continue
        problems_before = len(col.problems)
        checked: dict[str, list[tuple[Any, int | None]]] = {}
        for kind, items in data.items():
            if kind not in KINDS:
                col.add(rel, located.line_of((kind,)), str(kind),
                        f"unknown kind; expected one of: {', '.join(KINDS)}")
                continue
            if items is None:
                continue
            if not isinstance(items, list):
                col.add(rel, located.line_of((kind,)), kind, "must be a list of entries (each starting with '- ')")
                continue
            model = KINDS[kind]
            checked[kind] = []
            for index, item in enumerate(items):
                prefix = (kind, index)
                line = located.line_of(prefix)
                if not isinstance(item, dict):
                    col.add(rel, line, f"{kind}[{index}]", "each entry must be a mapping of fields")
                    continue
                try:
                    obj = model.model_validate(item)
                except ValidationError as exc:
                    for err in exc.errors(include_url=False):
                        loc = tuple(err["loc"])
                        # pydantic appends the validator's name for some unions; keep only real path parts
                        loc = tuple(p for p in loc if isinstance(p, int) or not _VALIDATOR_STEP.search(p))
                        full = (*prefix, *loc)
                        raw_text = located.coerced.get(full)
                        value = _value_at(item, loc)
                        col.add(rel, located.line_of(full), _field_name(kind, index, item, loc),
                                _explain(err, raw_text, value))
                    continue
                entries[kind].append((obj, Where(rel, line), prefix))
                locs[id(obj)] = (located, prefix, rel)
                checked[kind].append((obj, line))
        if cache is not None and len(col.problems) == problems_before:
            cache.put(key, CachedFile.model_construct(
                format=FORMAT, data_hash=data_hash, kinds=list(checked),
                lines={kind: [line for _, line in pairs] for kind, pairs in checked.items()},
                **{kind: [obj for obj, _ in pairs] for kind, pairs in checked.items()},
            ))
            used.add(key)

    digest = _cross_check(root, entries, locs, col)
    col.problems.sort(key=lambda p: (p.file, p.line or 0, p.field, p.message))
    if col.problems or digest is None:
        return LoadResult(None, col.problems), used, from_cache
    digest.version = hasher.hexdigest()[:12]
    return LoadResult(digest, []), used, from_cache


def _cross_check(
    root: Path,
    entries: dict[str, list[tuple[Any, Where, tuple[Any, ...]]]],
    locs: dict[int, tuple[Located | None, tuple[Any, ...], str]],
    col: _Collector,
) -> Digest | None:
    def report(obj: Any, loc: tuple[Any, ...], message: str) -> None:
        located, prefix, rel = locs[id(obj)]  # located is None for a cached file: this load is redone without
        kind = prefix[0]
        ident = obj.event if isinstance(obj, Anniversary) else obj.id
        name = f"{kind}.{ident}" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        col.add(rel, located.line_of((*prefix, *loc)) if located is not None else None, name, message)

    # ids: unique across the whole digest
    seen: dict[str, Where] = {}
    by_kind: dict[str, dict[str, Any]] = {k: {} for k in KINDS if k != "anniversaries"}
    where: dict[str, Where] = {}
    for kind in ("sources", "events", "treaties", "facts", "viewpoints"):
        for obj, w, _ in entries.get(kind, []):
            if obj.id in seen:
                first = seen[obj.id]
                report(obj, ("id",), f"duplicate id {obj.id!r}: already used at {first.file}:{first.line}")
                continue
            seen[obj.id] = w
            where[obj.id] = w
            by_kind[kind][obj.id] = obj

    # source texts
    texts: dict[str, str] = {}
    normalised: dict[str, str] = {}
    for src in by_kind["sources"].values():
        try:
            text = read_regular(confined(col.real_root, root / src.text), MAX_SOURCE_TEXT_BYTES).decode("utf-8")
        except _Refused as exc:
            report(src, ("text",), f"{src.text!r} {exc}")
            continue
        except _NotRegular:
            report(src, ("text",), f"text file {src.text!r} is not a regular file")
            continue
        except _TooLarge:
            report(src, ("text",), f"{src.text!r} is larger than {MAX_SOURCE_TEXT_BYTES:,} bytes")
            continue
        except FileNotFoundError:
            report(src, ("text",), f"text file {src.text!r} not found (relative to {shown(root.name)}/)")
            continue
        except UnicodeDecodeError:
            report(src, ("text",), f"text file {src.text!r} is not UTF-8 text")
            continue
        except OSError as exc:
            report(src, ("text",), f"cannot read {src.text!r}: {exc.strerror or exc}")
            continue
        texts[src.id] = text
        normalised[src.id] = normalise_for_quote(text)

    quote_found: dict[tuple[str, str], bool] = {}  # (source, quote) -> found; many entries cite the same lines

    def found_in_source(source: str, quote: str) -> bool:
        found = quote_found.get((source, quote))
        if found is None:
            found = quote_found[(source, quote)] = normalise_for_quote(quote) in normalised[source]
        return found

    def check_citations(obj: Any, citations: list[Citation], prefix: tuple[Any, ...]) -> None:
        for i, cit in enumerate(citations):
            loc = (*prefix, "citations", i)
            if cit.source not in by_kind["sources"]:
                report(obj, (*loc, "source"), f"unknown source {cit.source!r}")
            elif cit.source in normalised and not found_in_source(cit.source, cit.quote):
                report(obj, (*loc, "quote"),
                       f"quote not found in the text of {cit.source!r} (copy it exactly; only whitespace and "
                       f"straight/curly quotes may differ): {cit.quote[:80]!r}")

    def check_refs(obj: Any, field_name: str, ids: list[str], allowed: tuple[str, ...]) -> None:
        for i, ref in enumerate(ids):
            if not any(ref in by_kind[k] for k in allowed):
                what = " or ".join(k.rstrip("s").replace("treatie", "treaty") for k in allowed)
                report(obj, (field_name, i), f"unknown {what} id {ref!r}")

    for ev in by_kind["events"].values():
        check_citations(ev, ev.citations, ())
    for tr in by_kind["treaties"].values():
        check_citations(tr, tr.citations, ())
        check_refs(tr, "related_events", tr.related_events, ("events",))
    for fa in by_kind["facts"].values():
        check_citations(fa, fa.citations, ())
        check_refs(fa, "related", fa.related, ("events", "treaties"))
    for vp in by_kind["viewpoints"].values():
        labels: set[str] = set()
        for p, pos in enumerate(vp.positions):
            check_citations(vp, pos.citations, ("positions", p))
            if pos.label.casefold() in labels:
                report(vp, ("positions", p, "label"), f"two positions share the label {pos.label!r}")
            labels.add(pos.label.casefold())
        check_refs(vp, "related", vp.related, ("events", "treaties"))

    # fact groups: two or more facts, each answering the same question
    groups: dict[str, list[Fact]] = defaultdict(list)
    for fa in by_kind["facts"].values():
        if fa.group:
            groups[fa.group].append(fa)
    for name, members in groups.items():
        if len(members) < 2:
            report(members[0], ("group",),
                   f"group {name!r} has only this fact; a group joins facts that answer one question differently")

    anniversaries: dict[str, Anniversary] = {}
    for ann, _, _ in entries.get("anniversaries", []):
        ev = by_kind["events"].get(ann.event)
        if ev is None:
            report(ann, ("event",), f"unknown event id {ann.event!r}")
        elif ev.date.precision is not Precision.DAY:
            report(ann, ("event",), f"event {ann.event!r} is dated to the {ev.date.precision.value} "
                                    f"({ev.date.iso()}); an anniversary needs a day")
        if ann.event in anniversaries:
            report(ann, ("event",), f"event {ann.event!r} already has an anniversary entry")
        try:
            unknown = message_placeholders(ann.message) - ANNIVERSARY_FIELDS
            if unknown:
                report(ann, ("message",), f"unknown placeholder(s) {', '.join('{' + u + '}' for u in sorted(unknown))}; "
                                          f"use {{year}}, {{years}}, {{ordinal}}, {{title}}")
        except ValueError as exc:
            report(ann, ("message",), f"broken {{placeholder}}: {exc} (write {{{{ and }}}} for literal braces)")
        anniversaries.setdefault(ann.event, ann)

    if not by_kind["sources"] and not col.problems:
        col.add(col.rel(root), None, "sources", "no sources defined: every entry must cite one")
    if col.problems:
        return None
    fingerprints = {}
    for kind, items in by_kind.items():
        for ident, obj in items.items():
            fingerprints[ident] = hashlib.sha256(obj.model_dump_json().encode()).hexdigest()[:16]
    for ident, ann in anniversaries.items():
        fingerprints[f"anniversary:{ident}"] = hashlib.sha256(ann.model_dump_json().encode()).hexdigest()[:16]
    return Digest(
        root=root,
        sources=by_kind["sources"],
        events=by_kind["events"],
        treaties=by_kind["treaties"],
        facts=by_kind["facts"],
        viewpoints=by_kind["viewpoints"],
        anniversaries=anniversaries,
        source_texts=texts,
        where=where,
        fingerprints=fingerprints,
    )
