"""The cache of checked content files: a restart reads only changed YAML, and nothing else differs."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from alliance_bot.digest import cache as cache_mod
from alliance_bot.digest import loader
from alliance_bot.digest.cache import ContentCache, default_cache_dir, parse_cache_setting
from alliance_bot.digest.loader import load_digest
from alliance_bot.digest.result import Digest
from alliance_bot.library import ContentStore
from alliance_bot.settings import configured_cache, load_settings

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"


def snapshot(digest: Digest) -> tuple[Any, ...]:
    """Everything a digest holds, in order (dict order is the order answers are built in)."""
    return (
        [
            list(getattr(digest, kind).items())
            for kind in ("sources", "events", "treaties", "facts", "viewpoints", "anniversaries")
        ],
        list(digest.where.items()),
        digest.fingerprints,
        digest.source_texts,
        digest.version,
    )


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


@pytest.fixture()
def cache(tmp_path: Path) -> ContentCache:
    return ContentCache(tmp_path / "cache")


def count_yaml_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = loader.read_yaml

    def counting(raw: bytes) -> Any:
        calls[0] += 1
        return real(raw)

    monkeypatch.setattr(loader, "read_yaml", counting)
    return calls


def test_cold_and_warm_loads_give_the_uncached_digest(
    content: Path, cache: ContentCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = load_digest(content)
    assert plain.ok
    n_files = len(list(content.glob("*.yaml")))

    cold = load_digest(content, cache)
    assert cold.ok and snapshot(cold.digest) == snapshot(plain.digest)
    assert len(list(cache.folder.glob("*.json"))) == n_files

    reads = count_yaml_reads(monkeypatch)
    warm = load_digest(content, cache)
    assert warm.ok and snapshot(warm.digest) == snapshot(plain.digest)
    assert reads[0] == 0, "a warm load parsed YAML"
    assert cache.hits == n_files


def test_an_edited_file_is_the_only_one_read_again(
    content: Path, cache: ContentCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_digest(content, cache).ok
    facts = content / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    first_statement = next(line for line in text.splitlines() if line.strip().startswith("statement:"))
    assert first_statement.endswith('"')
    facts.write_text(text.replace(first_statement, first_statement[:-1] + ' (edited)"', 1), encoding="utf-8")

    reads = count_yaml_reads(monkeypatch)
    edited = load_digest(content, cache)
    assert reads[0] == 1
    assert edited.ok
    assert any(f.statement.endswith("(edited)") for f in edited.digest.facts.values())
    monkeypatch.undo()
    assert snapshot(edited.digest) == snapshot(load_digest(content).digest)


def test_comment_only_edit_keeps_the_content_version(content: Path, cache: ContentCache) -> None:
    before = load_digest(content, cache).digest.version
    path = content / "events.yaml"
    path.write_text("# a comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    after = load_digest(content, cache)
    assert after.digest.version == before
    assert after.digest.where != load_digest(CONTENT).digest.where  # lines moved by one: read again, not cached


@pytest.mark.parametrize(
    "bad_edit",
    [
        # a cross-file problem inside a file that is still cached: the citation's line must be named
        ("sources.yaml", "text: sources/000_e7b595273e348be6.txt", "text: sources/missing.txt"),
        # a problem in the edited file itself
        ("events.yaml", "title: ", "title: \n    titel: "),
        # a duplicate id across files, one of them cached
        ("treaties.yaml", "- id: ", "- id: korean-war-begins\n    aliases: []\n  - id: x-"),
    ],
)
def test_problems_with_a_warm_cache_are_those_of_an_uncached_load(
    content: Path, cache: ContentCache, bad_edit: tuple[str, str, str]
) -> None:
    assert load_digest(content, cache).ok
    name, old, new = bad_edit
    path = content / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    uncached = load_digest(content)
    cached = load_digest(content, cache)
    assert not uncached.ok and uncached.problems
    assert cached.problems == uncached.problems
    assert all(p.line for p in cached.problems if p.file.endswith(".yaml") and "missing" not in p.message)


def test_random_edits_load_as_without_the_cache(content: Path, cache: ContentCache) -> None:
    """Lines deleted, doubled, swapped or altered in a warm cache's files: every result as uncached."""
    assert load_digest(content, cache).ok
    pristine = {p: p.read_text(encoding="utf-8") for p in content.glob("*.yaml")}
    rng = random.Random(2026)
    words = ["", "x", "1953", "no", "- ", "  ", "id:", "quote: 'made up'", "korean-war-begins", "\t", "&a", "*a"]
    for _ in range(24):
        path = rng.choice(sorted(pristine))
        lines = pristine[path].splitlines()
        i = rng.randrange(len(lines))
        op = rng.randrange(4)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2 and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        else:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice(words) + lines[i][cut:]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        uncached = load_digest(content)
        cached = load_digest(content, cache)
        assert cached.problems == uncached.problems, (path.name, i, op)
        if uncached.ok:
            assert snapshot(cached.digest) == snapshot(uncached.digest)
        path.write_text(pristine[path], encoding="utf-8")


def _cache_files(cache: ContentCache) -> list[Path]:
    return sorted(cache.folder.glob("*.json"))


@pytest.mark.parametrize(
    "damage", ["truncate", "garbage", "empty", "wrong-shape", "lines-mismatch", "invalid-entry", "unknown-kind"]
)
def test_a_damaged_cache_file_is_a_miss(content: Path, cache: ContentCache, damage: str) -> None:
    plain = load_digest(content)
    assert load_digest(content, cache).ok
    for path in _cache_files(cache):
        raw = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(raw[: len(raw) // 2])
        elif damage == "garbage":
            path.write_bytes(os.urandom(200))
        elif damage == "empty":
            path.write_bytes(b"")
        else:
            data = json.loads(raw)
            kind = data["kinds"][0]
            if damage == "wrong-shape":
                data = [data]
            elif damage == "lines-mismatch":
                data["lines"][kind].append(7)
            elif damage == "invalid-entry":
                data[kind][0]["id"] = "Not A Slug!"
            else:
                data["kinds"].append("lines")
            path.write_text(json.dumps(data), encoding="utf-8")
    again = ContentCache(cache.folder)
    result = load_digest(content, again)
    assert result.ok and snapshot(result.digest) == snapshot(plain.digest)
    assert again.hits == 0
    # and the damaged files were replaced: the next load is warm again
    warm = ContentCache(cache.folder)
    assert load_digest(content, warm).ok and warm.misses == 0


def test_a_tampered_cache_cannot_smuggle_in_an_unchecked_quote(content: Path, cache: ContentCache) -> None:
    """Schema-valid but altered cache data still goes through every check across files."""
    assert load_digest(content, cache).ok
    for path in _cache_files(cache):
        data = json.loads(path.read_bytes())
        if data.get("facts"):
            data["facts"][0]["citations"][0]["quote"] = "The alliance was dissolved in 1999."
            data["facts"][0]["statement"] = "A statement no source supports."
            path.write_text(json.dumps(data), encoding="utf-8")
    result = load_digest(content, ContentCache(cache.folder))
    assert result.ok  # redone from the YAML, which is fine
    assert not any(f.statement == "A statement no source supports." for f in result.digest.facts.values())


def test_new_code_does_not_read_an_old_cache(
    content: Path, cache: ContentCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_digest(content, cache).ok
    monkeypatch.setattr(cache_mod, "_code_fingerprint", lambda: b"another version of the loader")
    newer = ContentCache(cache.folder)
    assert load_digest(content, newer).ok
    assert newer.hits == 0


def test_an_unwritable_cache_only_costs_speed(content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    broken = ContentCache(blocker / "cache")
    with caplog.at_level(logging.WARNING, logger="alliance_bot.digest.cache"):
        first = load_digest(content, broken)
        second = load_digest(content, broken)
    assert first.ok and second.ok
    assert snapshot(first.digest) == snapshot(load_digest(content).digest)
    warnings = [r for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(warnings) == 1, "the warning is logged once, not per file"


def test_prune_keeps_one_cache_file_per_content_file(content: Path, cache: ContentCache) -> None:
    assert load_digest(content, cache).ok
    first = {p.name for p in _cache_files(cache)}
    events = content / "events.yaml"
    original = events.read_text(encoding="utf-8")
    for n in range(3):  # three successful edits of one file
        events.write_text(f"# edit {n}\n" + original, encoding="utf-8")
        assert load_digest(content, cache).ok
    now = {p.name for p in _cache_files(cache)}
    assert len(now) == len(first), "older versions of the edited file were kept"
    assert len(first - now) == 1 and len(now - first) == 1


def test_prune_leaves_other_folders_and_foreign_files_until_unused_for_a_month(
    content: Path, cache: ContentCache, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    shutil.copytree(content, other)
    (other / "events.yaml").write_text("# another folder's version\n" + (other / "events.yaml").read_text())
    assert load_digest(other, cache).ok
    others = {p.name for p in _cache_files(cache)}
    assert load_digest(content, cache).ok
    mine = {p.name for p in _cache_files(cache)} - others
    assert mine and others <= {p.name for p in _cache_files(cache)}, "another folder's cache files were removed"

    now = time.time()
    foreign = cache.folder / "notes.txt"
    old_tmp = cache.folder / ".tmp-abandoned.json"
    for path in (foreign, old_tmp):
        path.write_text("{}")
    long_ago = now - 31 * 86400
    for path in (foreign, old_tmp, *_cache_files(cache)):
        os.utime(path, (long_ago, long_ago))
    assert load_digest(content, cache).ok
    left = {p.name for p in cache.folder.iterdir()}
    assert mine <= left, "files in use were removed"
    assert not others & left, "cache files unused for a month were kept"
    assert foreign.name in left and old_tmp.name not in left
    for name in mine:  # marked as used just now
        assert (cache.folder / name).stat().st_mtime > now - 60


def test_a_failed_load_prunes_nothing(content: Path, cache: ContentCache) -> None:
    assert load_digest(content, cache).ok
    old = cache.folder / ("c" * 16 + "-" + "c" * 64 + ".json")
    old.write_text("{}")
    os.utime(old, (time.time() - 40 * 86400,) * 2)
    (content / "events.yaml").write_text("events: [", encoding="utf-8")
    assert not load_digest(content, cache).ok
    assert old.exists()


def test_reload_uses_the_cache(content: Path, cache: ContentCache, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    store = ContentStore(content, cache=cache)
    assert store.load().ok
    reads = count_yaml_reads(monkeypatch)
    result = asyncio.run(store.reload())
    assert result.ok and result.diff.empty
    assert reads[0] == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("off", None),
        ("OFF", None),
        ("none", None),
        ("false", None),
        ("0", None),
        ("/srv/cache", Path("/srv/cache")),
        (" /srv/cache ", Path("/srv/cache")),
    ],
)
def test_cache_setting_values(value: str, expected: Path | None) -> None:
    assert parse_cache_setting(value) == expected


def test_cache_setting_default_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ALLIANCE_BOT_CACHE_DIR", raising=False)
    assert default_cache_dir() == tmp_path / "xdg" / "alliance-bot"
    assert load_settings().cache_dir == tmp_path / "xdg" / "alliance-bot"
    assert configured_cache().folder == tmp_path / "xdg" / "alliance-bot"
    monkeypatch.setenv("ALLIANCE_BOT_CACHE_DIR", "off")
    assert load_settings().cache_dir is None and load_settings().content_cache() is None
    assert configured_cache() is None
    monkeypatch.setenv("ALLIANCE_BOT_CACHE_DIR", str(tmp_path / "c"))
    assert load_settings().content_cache().folder == tmp_path / "c"
    # the commands that need no other setting still find the cache when another setting is invalid
    monkeypatch.setenv("ALLIANCE_BOT_TIMEZONE", "Mars/Olympus")
    assert configured_cache().folder == tmp_path / "c"


def test_no_home_folder_means_no_cache_rather_than_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("ALLIANCE_BOT_CACHE_DIR", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert default_cache_dir() is None
    assert load_settings().cache_dir is None and configured_cache() is None


def test_cache_folder_from_a_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(f'cache_dir = "{tmp_path / "from-toml"}"\n')
    monkeypatch.delenv("ALLIANCE_BOT_CACHE_DIR", raising=False)
    monkeypatch.setenv("ALLIANCE_BOT_CONFIG", str(config))
    assert configured_cache().folder == tmp_path / "from-toml"


def test_cli_check_and_ask_use_the_cache(content: Path, tmp_path: Path) -> None:
    env = {**os.environ, "ALLIANCE_BOT_CACHE_DIR": str(tmp_path / "cli-cache")}
    exe = [str(Path(sys.executable).parent / "alliance-bot")]
    done = subprocess.run([*exe, "content", "check", str(content)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    files = sorted((tmp_path / "cli-cache").glob("*.json"))
    assert len(files) == len(list(content.glob("*.yaml")))
    done = subprocess.run(
        [*exe, "ask", "fact", "troops", "--content", str(content), "--json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]


def test_first_load_of_a_serving_process_freezes_and_a_reload_unfreezes(tmp_path: Path) -> None:
    probe = (
        "import asyncio, gc, sys\n"
        "from alliance_bot.library import ContentStore\n"
        "s = ContentStore(sys.argv[1])\n"
        "assert s.load(freeze=True).ok\n"
        "frozen = gc.get_freeze_count()\n"
        "assert asyncio.run(s.reload()).ok\n"
        "print(frozen, gc.get_freeze_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(CONTENT)], capture_output=True, text=True, check=True)
    frozen, after_reload = map(int, done.stdout.split())
    assert frozen > 20_000  # the loaded content (and all else alive) is out of the collector's way
    assert after_reload == 0
