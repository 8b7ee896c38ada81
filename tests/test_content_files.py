"""Which files the content loader opens: only regular files, only inside the content folder (#13.5, #13.10)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Iterator

import pytest

from test_content_check import EVENTS, SOURCES, make_content, problems

from alliance_bot.digest.loader import load_digest

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
    assert problems(root) == ["content/facts.yaml: is outside the content folder (through a symbolic link); "
                              "only files inside it are read"]


def test_a_symlinked_folder_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "facts.yaml").write_text(OUTSIDE_FACT)
    (root / "more").symlink_to(tmp_path / "elsewhere")
    assert problems(root) == ["content/more: is outside the content folder (through a symbolic link); "
                              "only files inside it are read"]


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
        "content/events/deeper/up: is a symbolic link loop; only files inside the content folder are read",
        "content/loop.yaml: is a symbolic link loop; only files inside the content folder are read",
    ]


@pytest.mark.parametrize("kind", ["dotdot", "dotdot-in-folder", "absolute", "symlink", "symlinked-folder", "loop"])
def test_source_texts_that_leave_the_content_folder_are_refused(tmp_path: Path, kind: str) -> None:
    root = make_content(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text((root / "sources" / "doc.txt").read_text())
    text = {"dotdot": "../outside.txt", "dotdot-in-folder": "sources/../../outside.txt", "absolute": str(outside),
            "symlink": "sources/link.txt", "symlinked-folder": "linked/outside.txt", "loop": "sources/loop.txt"}[kind]
    if kind == "symlink":
        (root / "sources" / "link.txt").symlink_to(outside)
    elif kind == "symlinked-folder":
        (root / "linked").symlink_to(tmp_path)
    elif kind == "loop":
        (root / "sources" / "loop.txt").symlink_to("loop.txt")
    (root / "sources.yaml").write_text(SOURCES.replace("sources/doc.txt", text))
    found = problems(root)
    reason = "is a symbolic link loop" if kind == "loop" else "is outside the content folder"
    expected = f"content/sources.yaml:9: sources.doc-one.text: {text!r} {reason}; only files inside the content " \
               "folder are read"
    if kind == "symlinked-folder":
        assert found == ["content/linked: is outside the content folder (through a symbolic link); only files "
                         "inside it are read", expected]
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
        "content/sources.yaml:9: sources.doc-one.text: text file 'sources/doc.txt' is not a regular file"]


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


def test_a_fifo_swapped_in_after_the_check_does_not_block(tmp_path: Path, fifos: list[Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_content(tmp_path)
    doc = root / "sources" / "doc.txt"
    regular = tmp_path / "regular.txt"
    doc.rename(regular)
    mkfifo(doc, fifos)
    real_stat = os.stat

    def stat_before_the_swap(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if os.fspath(path) == str(doc):
            return real_stat(regular, *args, **kwargs)  # it was a regular file when checked
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_before_the_swap)
    assert load_in_thread(root) == [
        "content/sources.yaml:9: sources.doc-one.text: text file 'sources/doc.txt' is not a regular file"]
