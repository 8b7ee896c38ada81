"""The command line whatever the bytes of its arguments and the encoding of its terminal (#13.20)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from alliance_bot.cli import main
from conftest import CONTENT

UNDECODABLE = b"\xff\xfe"  # not UTF-8: Python passes them on as the surrogate escapes '\udcff\udcfe'


def run(*args: str | bytes, encoding: str = "utf-8:strict", **settings: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_") and k != "DISCORD_TOKEN"}
    env.update(
        PYTHONIOENCODING=encoding,
        ALLIANCE_BOT_CONTENT_DIR=str(CONTENT),
        ALLIANCE_BOT_CACHE_DIR=os.environ["ALLIANCE_BOT_CACHE_DIR"],
        **settings,
    )
    return subprocess.run([sys.executable, "-m", "alliance_bot", *args], capture_output=True, timeout=120, env=env)


def no_traceback(done: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in done.stderr and b"Error:" not in done.stderr, done.stderr.decode(errors="replace")


@pytest.mark.parametrize(
    "question",
    [
        ["fact", UNDECODABLE],
        ["treaty", UNDECODABLE],
        ["viewpoints", UNDECODABLE],
        ["source", UNDECODABLE],
        ["timeline", "1950", "1953", "--tag", UNDECODABLE],
    ],
)
def test_undecodable_argument_bytes_under_a_strict_utf8_output(question: list[str | bytes]) -> None:
    done = run("ask", *question)
    no_traceback(done)
    assert done.returncode == 0
    text = done.stdout.decode("utf-8")  # strict: what was written is UTF-8
    assert "\ufffd\ufffd" in text or question[0] == "timeline"
    done = run("ask", *question, "--json")
    no_traceback(done)
    assert done.returncode == 0
    data = json.loads(done.stdout.decode("utf-8"))
    if question[0] != "timeline":
        assert data["query"] == "\ufffd\ufffd"


def test_undecodable_bytes_in_an_invalid_input_message() -> None:
    done = run("ask", "today", "--date", UNDECODABLE, "--json")
    no_traceback(done)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.startswith(b"alliance-bot: ") and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_terminal_that_is_not_utf8(encoding: str) -> None:
    utf8 = run("ask", "treaty", "korus", "--json")
    assert utf8.returncode == 0, utf8.stderr
    done = run("ask", "treaty", "korus", "--json", encoding=encoding)
    no_traceback(done)
    assert done.returncode == 0
    assert json.loads(done.stdout.decode("ascii")) == json.loads(utf8.stdout.decode("utf-8"))  # nothing lost
    done = run("ask", "treaty", "korus", encoding=encoding)
    no_traceback(done)
    assert done.returncode == 0
    assert "US Free Trade Agreement with South Korea" in done.stdout.decode(encoding)  # written as an escape
    done = run("ask", "fact", UNDECODABLE, "--json", encoding=encoding)
    no_traceback(done)
    assert json.loads(done.stdout.decode("ascii"))["query"] == "\ufffd\ufffd"


def test_content_check_of_a_folder_whose_name_is_not_utf8(tmp_path: Path) -> None:
    root = os.path.join(os.fsencode(tmp_path), b"content-" + UNDECODABLE)
    shutil.copytree(CONTENT, os.fsdecode(root))
    done = run("content", "check", root)
    no_traceback(done)
    assert done.returncode == 0
    assert done.stdout.decode("utf-8").startswith(f"{tmp_path}/content-\\xff\\xfe: ok: ")
    Path(os.fsdecode(os.path.join(root, b"more-\xe9.yaml"))).write_text("events: 3\n")  # a Latin-1 file name
    done = run("content", "check", root)
    no_traceback(done)
    assert done.returncode == 1
    assert (
        done.stdout.decode("utf-8") == f"{tmp_path}/content-\\xff\\xfe/more-\\xe9.yaml:1: events: must be a list of "
        "entries (each starting with '- ')\n"
    )
    assert done.stderr.decode("utf-8") == f"{tmp_path}/content-\\xff\\xfe: 1 problem found; fix them and check again\n"


def test_db_backup_to_a_file_whose_name_is_not_utf8(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    sqlite3.connect(db).close()
    dest = os.path.join(os.fsencode(tmp_path), b"copy-" + UNDECODABLE + b".db")
    done = run("db", "backup", dest, ALLIANCE_BOT_DB=str(db))
    no_traceback(done)
    assert done.returncode == 0
    assert os.path.exists(dest)
    assert "copy-\\udcff\\udcfe.db (schema version 0" in done.stdout.decode("utf-8")


def test_in_process_the_answer_is_built_from_replaced_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "fact", "troops\udcff", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["query"] == "troops\ufffd"


def test_problems_name_a_non_utf8_file_in_text_any_output_can_carry(tmp_path: Path) -> None:
    from alliance_bot.digest.loader import load_digest

    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    Path(os.fsdecode(os.path.join(os.fsencode(root), b"more-\xe9.yaml"))).write_text("events: 3\n")
    found = [str(p) for p in load_digest(root).problems]
    assert found == ["content/more-\\xe9.yaml:1: events: must be a list of entries (each starting with '- ')"]
    "\n".join(found).encode("utf-8")  # as /content reload attaches them: no surrogates left
