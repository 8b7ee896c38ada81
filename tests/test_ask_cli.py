"""`alliance-bot ask`: text and the public --json form, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from alliance_bot.cli import main
from conftest import CONTENT

SOURCE_FIELDS = {"id", "title", "author", "outlet", "quote"}


def ask_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["ask", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fact_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "fact", "korean", "war", "american", "deaths")
    assert data["query"] == "korean war american deaths"
    assert data["results"]
    for r in data["results"]:
        assert {"id", "text", "sources", "kind"} <= set(r)
        assert r["kind"] in {"fact", "event", "treaty", "source"}
        for s in r["sources"]:
            assert set(s) >= SOURCE_FIELDS
    differing = [r for r in data["results"] if r["differs"]]
    assert {"37,000", "33,629"} <= {n for r in differing for n in ("37,000", "33,629") if n in r["text"]}


def test_fact_json_marks_events_and_treaties(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "fact", "mutual defense treaty signing date")
    kinds = {r["kind"] for r in data["results"]}
    assert kinds & {"event", "treaty"}
    assert any("October 1, 1953" in r["text"] for r in data["results"][:3])


def test_today_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "today", "--date", "2026-07-27")
    assert data["date"] == "07-27"
    assert {"events", "nearest"} <= set(data)
    armistice = next(e for e in data["events"] if e["id"] == "armistice-signed")
    assert {"id", "date", "title", "summary", "years_ago", "sources"} <= set(armistice)
    assert armistice["date"] == "1953-07-27" and armistice["years_ago"] == 73
    assert data["nearest"] == []


def test_today_nothing_found_offers_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "today", "--date", "01-02")
    assert data["events"] == [] and data["nearest"]


def test_treaty_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "treaty", "mdt")
    r = data["results"][0]
    assert {"id", "name", "signed", "parties", "summary", "sources"} <= set(r)
    assert r["id"] == "mutual-defense-treaty-1953" and r["signed"] == "1953-10-01"


def test_viewpoints_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "viewpoints", "cost", "sharing")
    r = data["results"][0]
    assert {"id", "question", "positions"} <= set(r)
    assert len(r["positions"]) >= 2
    for p in r["positions"]:
        assert {"label", "summary", "sources"} <= set(p) and p["sources"]


def test_timeline_and_source_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "timeline", "1950", "1953")
    assert data["events"] and all("1950" <= e["date"][:4] <= "1953" for e in data["events"])
    data = ask_json(capsys, "source", "oh-alliance-history")
    assert data["results"][0]["author"] == "Daniel Oh" and data["results"][0]["cited_by"]


def test_nothing_found_exits_zero_with_empty_results(capsys: pytest.CaptureFixture[str]) -> None:
    assert ask_json(capsys, "fact", "zzzzqqq xxxyyy")["results"] == []
    assert ask_json(capsys, "treaty", "zzzzqqq xxxyyy")["results"] == []
    assert ask_json(capsys, "viewpoints", "zzzzqqq xxxyyy")["results"] == []


@pytest.mark.parametrize(
    "args",
    [
        ["today", "--date", "02-30"],
        ["today", "--date", "nonsense"],
        ["timeline", "2000", "1990"],
        ["today", "--timezone", "Mars/Olympus"],
    ],
)
def test_invalid_input_exits_two_with_one_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert main(["ask", *args, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("alliance-bot: ")


def test_text_output_shows_citations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "treaty", "korus"]) == 0
    out = capsys.readouterr().out
    assert "US Free Trade Agreement with South Korea" in out and "Sources:" in out and "“" in out


def test_console_script_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alliance_bot", "ask", "fact", "cheonan", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]


def test_without_a_content_folder_here_nothing_is_guessed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """The default is ./content of the working folder (README): elsewhere, a clear line, not the checkout's."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALLIANCE_BOT_CONTENT_DIR", raising=False)
    assert main(["ask", "fact", "troops"]) != 0
    assert main(["content", "check"]) != 0
    out = capsys.readouterr()
    assert "content folder not found (set ALLIANCE_BOT_CONTENT_DIR or pass the folder)" in out.out + out.err
    monkeypatch.setenv("ALLIANCE_BOT_CONTENT_DIR", str(CONTENT))
    assert main(["ask", "fact", "troops"]) == 0
