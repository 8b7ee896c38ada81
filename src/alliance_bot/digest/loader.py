"""Load and validate the content folder, reporting every problem at once.

`load_digest(path)` returns a `LoadResult`: the `Digest` when everything is
valid, and the full list of `Problem`s (`file:line: field: message`) otherwise.
A digest is only ever built from a fully valid folder, so a caller that keeps
the last good digest never serves half an edit.

What a load gives back is in result.py; reading the folder's files safely in
files.py; wording the problems in problems.py; the checks across files, which
build the digest, in crosscheck.py.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from alliance_bot.digest.cache import FORMAT, CachedFile, ContentCache
from alliance_bot.digest.crosscheck import _cross_check
from alliance_bot.digest.files import _content_files, _read_bytes, shown
from alliance_bot.digest.model import KINDS, Entry
from alliance_bot.digest.problems import _VALIDATOR_STEP, _Collector, _explain, _field_name, _value_at
from alliance_bot.digest.result import LoadResult, Where
from alliance_bot.digest.yamlread import Located, YamlProblem, read_yaml
from alliance_bot.digest.yamlread import Path as ValuePath


def _parse(raw: bytes, rel: str, col: _Collector) -> Located | None:
    """The file's data, or None with every problem that keeps it from being read noted (all of them at once)."""
    try:
        return read_yaml(raw)
    except YamlProblem as exc:
        for line, message, column in exc.problems:
            col.add(rel, line, "", message, column)
        return None


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

    entries: dict[str, list[tuple[Entry, Where, ValuePath]]] = defaultdict(list)
    unread: list[str] = []  # files that could not be read at all: their entries are unknown to the other files
    invalid_ids: set[str] = set()  # ids of entries that failed their schema: known, so not "unknown" elsewhere
    # per kind: (model, where, path-prefix) for entries that passed the schema
    locs: dict[int, tuple[Located | None, ValuePath, str]] = {}  # id(model) -> (located, path-prefix, file)
    hasher = hashlib.sha256()
    files = _content_files(root, col)
    if not files:
        col.add(col.rel(root), None, "", "no content files (*.yaml) found")
    for path in files:
        rel = col.rel(path)
        read = _read_bytes(path, col)
        if read is None:
            unread.append(rel)
            continue
        real, raw = read
        key = cache.key(str(real), raw) if cache is not None else ""
        cached = cache.get(key) if cache is not None else None
        if cached is not None:
            used.add(key)
            from_cache = True
            hasher.update(rel.encode() + b"\0" + cached.data_hash.encode())
            for kind in cached.kinds:
                for index, (obj, line) in enumerate(zip(cached.entries(kind), cached.lines[kind], strict=True)):
                    entries[kind].append((obj, Where(rel, line), (kind, index)))
                    locs[id(obj)] = (None, (kind, index), rel)
            continue
        located = _parse(raw, rel, col)
        if located is None:
            unread.append(rel)
            continue
        data_hash = hashlib.sha256(repr(located.data).encode()).hexdigest()
        hasher.update(rel.encode() + b"\0" + data_hash.encode())
        data = located.data
        if data is None:
            col.add(rel, None, "", "the file is empty: it should hold a mapping such as `events:` with a list")
            continue
        if not isinstance(data, dict):
            unread.append(rel)
            col.add(
                rel,
                located.line_of(()),
                "",
                f"the file must be a mapping of kinds ({', '.join(KINDS)}) to lists, not a {type(data).__name__}",
            )
            continue
        problems_before = len(col.problems)
        checked: dict[str, list[tuple[Entry, int | None]]] = {}
        for kind, items in data.items():
            if kind not in KINDS:
                col.add(rel, located.line_of((kind,)), str(kind), f"unknown kind; expected one of: {', '.join(KINDS)}")
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
                    ident = item.get("id") if kind != "anniversaries" else None
                    if isinstance(ident, str):
                        invalid_ids.add(ident)
                    for err in exc.errors(include_url=False):
                        loc = tuple(err["loc"])
                        # pydantic appends the validator's name for some unions; keep only real path parts
                        loc = tuple(p for p in loc if isinstance(p, int) or not _VALIDATOR_STEP.search(p))
                        full = (*prefix, *loc)
                        raw_text = located.coerced.get(full)
                        value = _value_at(item, loc)
                        col.add(
                            rel,
                            located.line_of(full),
                            _field_name(kind, index, item, loc),
                            _explain(err, raw_text, value),
                        )
                    continue
                entries[kind].append((obj, Where(rel, line), prefix))
                locs[id(obj)] = (located, prefix, rel)
                checked[kind].append((obj, line))
        if cache is not None and len(col.problems) == problems_before:
            cache.put(
                key,
                CachedFile.model_construct(
                    _fields_set=None,  # those given (the default: named, so that the **entries below cannot be it)
                    format=FORMAT,
                    data_hash=data_hash,
                    kinds=list(checked),
                    lines={kind: [line for _, line in pairs] for kind, pairs in checked.items()},
                    **{kind: [obj for obj, _ in pairs] for kind, pairs in checked.items()},
                ),
            )
            used.add(key)

    digest = _cross_check(root, entries, locs, col, unread=unread, invalid_ids=invalid_ids)
    # a file that cannot be read comes first: its problem is the one to fix, the rest may follow from it
    first = set(unread)
    col.problems.sort(key=lambda p: (p.file not in first, p.file, p.line or 0, p.field, p.message))
    if unread and col.skipped_references:
        n = col.skipped_references
        col.add(
            unread[0],
            None,
            "",
            f"{n} reference{'s' if n != 1 else ''} to ids not found elsewhere were not checked, since this file "
            "cannot be read"
            + (f" (nor {len(unread) - 1} other file{'s' if len(unread) > 2 else ''})" if len(unread) > 1 else "")
            + ": fix its problem above and check again",
        )
    if col.problems or digest is None:
        return LoadResult(None, col.problems), used, from_cache
    digest.version = hasher.hexdigest()[:12]
    return LoadResult(digest, []), used, from_cache
