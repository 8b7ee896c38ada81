"""Which files the content loader opens: only regular files, only inside the content folder (#13.5, #13.10)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from alliance_bot.digest import loader
from alliance_bot.digest.loader import load_digest
from alliance_bot.library import ContentStore
from test_content_check import SOURCES, make_content, problems

OUTSIDE_FACT = """\
facts:
  - id: outside-fact
    statement: Read from outside the content folder.
    citations:
      - {source: doc-one, quote: "It halted the fighting."}
"""


@pytest.fixture
def fifos() -> Iterator[list[Path]]:
    """FIFOs a test makes; afterwards each gets a writer, so that a read blocked on one (a bug) ends."""
    made: list[Path] = []
    yield made
    for path in made:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # succeeds only when a reader is blocked in it
        except OSError:
            continue
        os.close(fd)


def mkfifo(path: Path, fifos: list[Path]) -> None:
    os.mkfifo(path)
    fifos.append(path)


def load_in_thread(root: Path) -> list[str]:
    """The problems of loading `root`, or a failure (not a hang) when the load does not end."""
    out: list[list[str]] = []
    thread = threading.Thread(target=lambda: out.append(problems(root)), daemon=True)
    thread.start()
    thread.join(30)
    assert out, "the load did not end: it is blocked reading a file"
    return out[0]


# ---------------------------------------------------------------- #13.5: confined to the content folder


def test_a_yaml_symlink_to_a_file_outside_is_refused(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(OUTSIDE_FACT)
    (root / "facts.yaml").symlink_to(outside)
    assert problems(root) == [
        "content/facts.yaml: is outside the content folder (through a symbolic link); only files inside it are read"
    ]


def test_a_symlinked_folder_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "facts.yaml").write_text(OUTSIDE_FACT)
    (root / "more").symlink_to(tmp_path / "elsewhere")
    assert problems(root) == [
        "content/more: is outside the content folder (through a symbolic link); only files inside it are read"
    ]


def test_symlinks_inside_the_content_folder_are_read(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "kept").mkdir()
    (root / "kept" / "facts.txt").write_text(OUTSIDE_FACT.replace("outside-fact", "linked-fact"))
    (root / "facts.yaml").symlink_to("kept/facts.txt")
    (root / ".hidden").mkdir()  # not read itself; read through the link
    (root / ".hidden" / "more.yaml").write_text(OUTSIDE_FACT.replace("outside-fact", "folder-fact"))
    (root / "linked").symlink_to(".hidden")
    result = load_digest(root)
    assert result.ok, result.problems
    assert {"linked-fact", "folder-fact"} <= set(result.digest.facts)


def test_symbolic_link_loops_are_refused(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "loop.yaml").symlink_to("loop.yaml")
    (root / "events" / "deeper").mkdir(parents=True)
    (root / "events" / "deeper" / "up").symlink_to("../..")
    assert problems(root) == [
        "content/events/deeper/up: is a symbolic link loop: it leads back to a folder it is in",
        "content/loop.yaml: is a symbolic link loop: it leads back to itself",
    ]


@pytest.mark.parametrize(
    "kind", ["dotdot", "dotdot-in-folder", "absolute", "symlink", "symlinked-folder", "loop", "nul"]
)
def test_source_texts_that_leave_the_content_folder_are_refused(tmp_path: Path, kind: str) -> None:
    root = make_content(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text((root / "sources" / "doc.txt").read_text())
    text = {
        "dotdot": "../outside.txt",
        "dotdot-in-folder": "sources/../../outside.txt",
        "absolute": str(outside),
        "symlink": "sources/link.txt",
        "symlinked-folder": "linked/outside.txt",
        "loop": "sources/loop.txt",
        "nul": "sources/doc.txt\0.yaml",
    }[kind]
    if kind == "symlink":
        (root / "sources" / "link.txt").symlink_to(outside)
    elif kind == "symlinked-folder":
        (root / "linked").symlink_to(tmp_path)
    elif kind == "loop":
        (root / "sources" / "loop.txt").symlink_to("loop.txt")
    (root / "sources.yaml").write_text(SOURCES.replace("sources/doc.txt", json.dumps(text)))
    found = problems(root)
    reason = {
        "loop": "is a symbolic link loop: it leads back to itself",
        "nul": "contains a NUL character, which no file name can",
    }.get(kind, "is outside the content folder; only files inside it are read")
    expected = f"content/sources.yaml:9: sources.doc-one.text: {text!r} {reason}"
    if kind == "symlinked-folder":
        assert found == [
            "content/linked: is outside the content folder (through a symbolic link); only files inside it are read",
            expected,
        ]
    else:
        assert found == [expected]


def test_a_path_that_leaves_and_comes_back_is_read(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "sources.yaml").write_text(SOURCES.replace("sources/doc.txt", "sources/../../content/sources/doc.txt"))
    assert load_digest(root).ok


# ---------------------------------------------------------------- #13.10: only regular files are opened


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory"])
def test_a_source_text_that_is_not_a_regular_file(tmp_path: Path, kind: str, fifos: list[Path]) -> None:
    root = make_content(tmp_path)
    doc = root / "sources" / "doc.txt"
    doc.unlink()
    if kind == "fifo":
        mkfifo(doc, fifos)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(doc))
        server.close()
    else:
        doc.mkdir()
    assert load_in_thread(root) == [
        "content/sources.yaml:9: sources.doc-one.text: text file 'sources/doc.txt' is not a regular file"
    ]


@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_a_content_file_that_is_not_a_regular_file(tmp_path: Path, kind: str, fifos: list[Path]) -> None:
    root = make_content(tmp_path)
    pipe = root / "facts.yaml"
    if kind == "fifo":
        mkfifo(pipe, fifos)
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(pipe))
        server.close()
    assert load_in_thread(root) == ["content/facts.yaml: not a regular file"]


def test_a_fifo_swapped_in_after_the_check_does_not_block(
    tmp_path: Path, fifos: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_content(tmp_path)
    doc = root / "sources" / "doc.txt"
    regular = tmp_path / "regular.txt"
    doc.rename(regular)
    mkfifo(doc, fifos)
    real_stat = os.stat

    def stat_before_the_swap(path, *args, **kwargs):
        if os.fspath(path) == str(doc):
            return real_stat(regular, *args, **kwargs)  # it was a regular file when checked
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_before_the_swap)
    assert load_in_thread(root) == [
        "content/sources.yaml:9: sources.doc-one.text: text file 'sources/doc.txt' is not a regular file"
    ]


# ---------------------------------------------------------------- #13.10: the reload is bounded in time


async def test_a_fifo_does_not_block_reload_and_the_next_reload_works(tmp_path: Path, fifos: list[Path]) -> None:
    root = make_content(tmp_path)
    store = ContentStore(root)
    assert store.load().ok
    before = store.current
    doc = root / "sources" / "doc.txt"
    text = doc.read_text()
    doc.unlink()
    mkfifo(doc, fifos)
    result = await asyncio.wait_for(store.reload(), 30)
    assert not result.ok and store.current is before
    assert [str(p) for p in result.problems] == [
        "content/sources.yaml:9: sources.doc-one.text: text file 'sources/doc.txt' is not a regular file"
    ]
    doc.unlink()
    doc.write_text(text)
    (root / "facts.yaml").write_text(OUTSIDE_FACT.replace("outside-fact", "after-the-fifo"))
    result = await asyncio.wait_for(store.reload(), 30)
    assert result.ok, result.problems
    assert result.diff.added == ["after-the-fifo"]


async def test_a_reload_that_takes_too_long_gives_up_and_frees_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_content(tmp_path)
    store = ContentStore(root, reload_timeout=0.2)
    assert store.load().ok
    before = store.current
    stuck = threading.Event()
    release = threading.Event()
    real_load = loader.load_digest

    def hung_disk(*args, **kwargs):
        stuck.set()
        release.wait(60)
        return real_load(*args, **kwargs)

    monkeypatch.setattr("alliance_bot.library.load_digest", hung_disk)
    try:
        result = await asyncio.wait_for(store.reload(), 30)
        assert stuck.is_set() and not result.ok and store.current is before
        assert [str(p) for p in result.problems] == [
            f"{root}: reading the content took longer than 0.2 seconds (a file on a slow or hung disk?); "
            "still serving the last good content"
        ]
        assert store.last_failure is not None
        # the lock is free: the next reload answers at once, saying why it cannot start yet
        result = await asyncio.wait_for(store.reload(), 30)
        assert not result.ok
        assert [p.message for p in result.problems] == [
            "the previous reload is still reading the content (it took longer than 0.2 seconds); "
            "try again later, or restart the bot if it never ends"
        ]
        # what the slow load will read when it ends; it must never be installed
        (root / "facts.yaml").write_text(OUTSIDE_FACT.replace("outside-fact", "after-the-wait"))
        monkeypatch.setattr("alliance_bot.library.load_digest", real_load)
    finally:
        release.set()

    async def reload_when_free() -> object:
        while True:
            result = await store.reload()
            if result.ok or "still reading" not in result.problems[0].message:
                return result
            await asyncio.sleep(0.02)

    store.reload_timeout = 30  # the disk is well again: a busy machine's real load must not give up too
    result = await asyncio.wait_for(reload_when_free(), 30)
    assert result.ok, result.problems
    assert result.diff.added == ["after-the-wait"]  # the slow load's own result was never installed
    assert store.last_failure is None


async def test_after_a_reload_gave_up_sighup_and_content_reload_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import signal

    from alliance_bot.runner import run_bot
    from alliance_bot.settings import Settings
    from conftest import CONTENT, MANAGE_GUILD, eventually
    from fakediscord import FakeDiscord

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    store = ContentStore(content, reload_timeout=0.3)
    assert store.load().ok
    release = threading.Event()
    real_load = loader.load_digest

    def hung_disk(*args, **kwargs):
        release.wait(60)
        return real_load(*args, **kwargs)

    monkeypatch.setattr("alliance_bot.library.load_digest", hung_disk)
    settings = Settings(db=tmp_path / "bot.db", content_dir=content)

    async def reload_reply(fake: FakeDiscord) -> str:
        payload = await fake.send_interaction(
            fake.command("content", subcommand="reload", member_permissions=MANAGE_GUILD)
        )
        message = await eventually(
            lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
            30,
            "the reload result",
        )
        e = message["embeds"][0]
        return " ".join(
            [e.get("title", ""), e.get("description", "")] + [f["name"] + " " + f["value"] for f in e.get("fields", [])]
        )

    async with FakeDiscord() as fake:
        with fake.patch_discord():
            task = asyncio.create_task(
                run_bot(
                    settings,
                    "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB",
                    store=store,
                    guild_ready_timeout=0.05,
                )
            )
            try:
                await fake.wait_for_ready(1)
                await asyncio.sleep(0.2)
                os.kill(os.getpid(), signal.SIGHUP)
                await eventually(
                    lambda: store.last_failure and "took longer than 0.3 seconds" in store.last_failure[1][0].message,
                    30,
                    "the SIGHUP reload to give up",
                )
                # the lock is free: /content reload answers, saying the slow load has not ended
                assert "still reading the content" in await reload_reply(fake)
                monkeypatch.setattr("alliance_bot.library.load_digest", real_load)
                release.set()
                (content / "more.yaml").write_text(
                    OUTSIDE_FACT.replace("outside-fact", "sighup-fact")
                    .replace("doc-one", "detrani-2025")
                    .replace("It halted the fighting.", "Friday, August 22, 2025")
                )
                await eventually(
                    lambda: store._building is not None and store._building.done(), 30, "the slow load to end"
                )
                # the disk is well again: a real load of the shipped content may take longer than 0.3 s on a
                # busy machine, which is not what this test is about
                store.reload_timeout = 30
                os.kill(os.getpid(), signal.SIGHUP)
                await eventually(lambda: "sighup-fact" in store.current.digest.facts, 30, "the second SIGHUP reload")
                (content / "more.yaml").unlink()
                assert "sighup-fact" in await reload_reply(fake)  # removed: /content reload works too
                assert "sighup-fact" not in store.current.digest.facts
            finally:
                release.set()
                os.kill(os.getpid(), signal.SIGTERM)
                assert await asyncio.wait_for(task, 15) == 0
