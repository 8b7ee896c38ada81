"""`alliance-bot ask timeline … --image out.png` and `alliance-bot stats --chart out.png`: the pictures the bot
attaches, as files; the text and the --json output are what they are without them."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import pytest
from PIL import Image

from alliance_bot.cli import main


def _png(path: Path) -> Image.Image:
    image = Image.open(io.BytesIO(path.read_bytes()))
    image.load()
    assert image.format == "PNG" and image.width >= 1000
    return image


def test_ask_timeline_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "timeline", "1950", "1954"]) == 0
    plain = capsys.readouterr().out
    out = tmp_path / "out.png"
    assert main(["ask", "timeline", "1950", "1954", "--image", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == plain, "the text answer is the same"
    assert f"{out}: 1000×" in captured.err
    _png(out)
    assert main(["ask", "timeline", "1950", "1954", "--json"]) == 0
    data = capsys.readouterr().out
    assert main(["ask", "timeline", "1950", "1954", "--json", "--image", str(tmp_path / "j.png")]) == 0
    assert capsys.readouterr().out == data, "the public JSON is unchanged"
    _png(tmp_path / "j.png")


def test_ask_timeline_image_without_events_or_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "none.png"
    assert main(["ask", "timeline", "1800", "1801", "--image", str(out)]) == 0
    assert "no picture" in capsys.readouterr().err and not out.exists()
    assert main(["ask", "timeline", "1950", "1954", "--image", str(tmp_path / "missing" / "x.png")]) == 1
    assert "could not write" in capsys.readouterr().err


async def test_stats_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog, UsageRecord

    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db)
    now = time.time()
    for i, (command, outcome) in enumerate([("fact", "answered"), ("fact", "nothing_found"), ("today", "answered")]):
        usage.record(UsageRecord(now - i * 86400, "command", command, None, outcome, 3.0 + i, 1, 2, "h", "en-US"))
    await usage.close()
    await db.close()
    monkeypatch.setenv("ALLIANCE_BOT_DB", str(tmp_path / "bot.db"))
    chart = tmp_path / "usage.png"
    assert await asyncio.to_thread(main, ["stats", "--json", "--chart", str(chart)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 3
    assert sorted((d["command"], d["count"], d["nothing_found"]) for d in data["per_day_command"]) == [
        ("fact", 1, 0),
        ("fact", 1, 1),
        ("today", 1, 0),
    ]
    assert sum(d["count"] for d in data["per_day"]) == 3
    _png(chart)
