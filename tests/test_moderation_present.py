"""The moderators' pages as Discord shows them: code spans verbatim, questions with no option said in words, only
real commands per command (clicks apart)."""

from __future__ import annotations

import re
from pathlib import Path

from alliance_bot.digest.result import Problem
from alliance_bot.present.embed_moderation import render_reload, render_stats
from alliance_bot.present.markup import code, command
from alliance_bot.present.text import stats_json, stats_text
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog, UsageRecord, summarise

_SPAN = re.compile(r"`([^`]*)`")


def test_a_code_span_shows_its_text_verbatim_and_cannot_be_broken_out_of() -> None:
    assert code("events.yaml:3: related[1]: related_events *x*") == "`events.yaml:3: related[1]: related_events *x*`"
    hostile = "a` **bold** `b\nc"
    span = code(hostile)
    assert span.count("`") == 2 and span.startswith("`") and span.endswith("`") and "\n" not in span
    assert code("") == "` `"


class _Reload:
    ok = False
    diff = None
    seconds = 0.1

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems


def test_the_problem_list_has_no_escapes_inside_code_spans() -> None:
    p = Problem("content/treaties.yaml", 12, "treaties.mdt.related[1]", "unknown id 'x_y' in related_events")
    for attached in (False, True):
        value = render_reload(_Reload([p]), attached=attached).pages[0][0]["fields"][0]["value"]
        spans = _SPAN.findall(value)
        assert spans == [str(p)], value  # verbatim: related[1], related_events, no backslash
        assert "\\" not in spans[0]


def test_command_mentions_fall_back_to_plain_text() -> None:
    assert command({"today": "</today:42>"}, "today") == "</today:42>"
    assert command({"today": "</today:42>"}, "fact") == "/fact"
    assert command(None, "content reload") == "/content reload"


def _rec(ts: float, kind: str, cmd: str, outcome: str, options: str | None) -> UsageRecord:
    return UsageRecord(ts, kind, cmd, options, outcome, 2.0, 1, 2, "h", "en-US")


async def test_stats_list_only_commands_and_say_a_question_with_no_option(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=3600)
    now = 1_780_000_000.0
    for rec in (
        _rec(now - 10, "command", "today", "nothing_found", None),
        _rec(now - 10, "command", "fact", "nothing_found", '{"query": "qqq"}'),
        _rec(now - 10, "component", "link timeline", "nothing_found", '{"target": "x"}'),
        _rec(now - 10, "component", "source page", "answered", '{"page": 2}'),
        _rec(now - 10, "component", "source page", "answered", '{"page": 3}'),
    ):
        usage.record(rec)
    await usage.flush()
    s = await summarise(db, 7, now=now)
    assert [c.command for c in s.per_command] == ["fact", "today"]
    assert s.components == [("source page", 2), ("link timeline", 1)]
    assert s.total == 5 and s.missing == [("fact", "qqq", 1), ("today", "", 1)]
    fields = {f["name"]: f["value"] for f in render_stats(s, {"today": "</today:7>"}).pages[0][0]["fields"]}
    assert "link timeline" not in fields["Per command"] and "source page" not in fields["Per command"]
    assert fields["Clicks (pages, menus, votes)"] == "source page 2 · link timeline 1"
    missing = fields["To do: asked, but nothing found (what the digest lacks)"]
    assert missing.splitlines() == ["1× /fact “qqq”", "1× </today:7> with no date"]
    assert "“”" not in missing
    text = stats_text(s)
    assert "1x /today with no date" in text and "“”" not in text and "Clicks: source page 2, link timeline 1" in text
    out = stats_json(s)
    assert out["components"] == [{"component": "source page", "count": 2}, {"component": "link timeline", "count": 1}]
    assert out["unhelpful"] == [] and out["missing"][1] == {"command": "today", "query": "", "count": 1}
    await db.close()
