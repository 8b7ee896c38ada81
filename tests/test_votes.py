"""Was it useful? The 👍/👎 pair: one vote per person per answer, kept in SQLite, working without any memory of
the answer (after a restart), forged ids refused, a locked database said so; and the moderators' to-do list."""

from __future__ import annotations

import asyncio
import copy
import json
import sqlite3
from pathlib import Path

import pytest

from alliance_bot.discord_ui import send, votes
from alliance_bot.present.limits import Rendered
from alliance_bot.storage import votes as store
from alliance_bot.storage.backends import open_database
from alliance_bot.storage.db import BUSY_TIMEOUT_MS, Database
from alliance_bot.storage.usage import UsageLog, UsageRecord, hash_user, summarise
from alliance_bot.storage.votes import DOWN, UP, AnswerKey
from conftest import MANAGE_GUILD, BotEnv, eventually

EPHEMERAL = 1 << 6
DEFERRED = 5


def custom_ids(message: dict) -> list[str]:
    return [
        c["custom_id"] for row in message.get("components", []) for c in row.get("components", []) if "custom_id" in c
    ]


def reply_text(message: dict) -> str:
    e = message["embeds"][0]
    return " ".join([e.get("title", ""), e.get("description", "")] + [f["value"] for f in e.get("fields", [])])


# -- the key of an answer


def test_a_key_is_short_stable_and_parsed_back() -> None:
    key = AnswerKey.make("fact", "event", "a" * 64, "How many US troops, in Korea?")
    assert key is not None
    assert AnswerKey.parse(str(key)) == key
    assert key == AnswerKey.make("fact", "event", "a" * 64, "  how many us TROOPS in korea ")  # the same question
    assert key != AnswerKey.make("fact", "event", "a" * 64, "how many us troops in japan")
    for vote in (UP, DOWN):
        cid = votes.custom_id(key, vote)
        assert len(cid) <= 100 and votes.parse(cid) == (vote, key)


@pytest.mark.parametrize(
    "forged",
    [
        "ab1:v:u:f:f:usfk:1234567",  # hash too short
        "ab1:v:x:f:f:usfk:12345678",  # no such vote
        "ab1:v:u:q:f:usfk:12345678",  # no such command
        "ab1:v:u:f:z:usfk:12345678",  # no such kind
        "ab1:v:u:f:f:USFK:12345678",  # not an id of the digest's form
        "ab1:v:u:f:f:usfk:12345678:extra",
        "ab1:v:u:f:f:" + "a" * 90 + ":12345678",  # over 100 characters
        "ab1:v:u",
        "ab1:v:",
        "ab1:pg:token:1",
    ],
)
def test_forged_or_garbled_vote_ids_are_refused(forged: str) -> None:
    assert votes.parse(forged) is None


def test_only_answers_that_answered_get_a_key(tmp_path: Path) -> None:
    from alliance_bot.library import ContentStore
    from conftest import CONTENT

    s = ContentStore(CONTENT)
    assert s.load().ok
    answers = s.answers
    fact = votes.answer_key(answers.fact("how many us troops are in korea"))
    assert fact is not None and fact.command_name == "fact"
    treaty = votes.answer_key(answers.treaty("mdt"))
    assert treaty is not None and str(treaty).startswith("t:t:mutual-defense-treaty-1953:")
    assert votes.answer_key(answers.viewpoints("cost sharing")) is not None
    assert votes.answer_key(answers.fact("qqqzzz xxyyq")) is None  # nothing found
    assert votes.answer_key(answers.treaty("")) is None  # the list of treaties
    assert votes.answer_key(answers.viewpoints("")) is None  # the list of topics
    assert votes.answer_key(answers.today("07-27")) is None


def test_the_pair_stays_on_every_page_and_below_everything_else() -> None:
    key = "f:f:usfk-troops:12345678"
    rendered = Rendered(pages=[[{"title": "a"}], [{"title": "b"}]], vote_key=key)
    entry = send.PageEntry(1, rendered, "fact")
    for page in (0, 1):
        view = send.components_for(entry, "tok", page)
        assert view is not None
        ids = [getattr(c, "custom_id", None) for c in view.children]
        assert ids[-2:] == [votes.custom_id(key, UP), votes.custom_id(key, DOWN)]
        assert all(c.row == votes.VOTE_ROW for c in view.children[-2:])
    alone = send.components_for(Rendered(pages=[[{"title": "a"}]], vote_key=key), None, 0)
    assert alone is not None and len(alone.children) == 2
    assert send.components_for(Rendered(pages=[[{"title": "a"}]]), None, 0) is None


# -- storage


async def test_one_vote_per_person_per_answer_changed_or_kept(db_target: Path | str) -> None:
    db = await open_database(db_target)
    key = AnswerKey.make("fact", "fact", "usfk-troops", "troops")
    assert key is not None
    first = await store.cast(db, key, "h1", UP, guild_id=5, now=100.0)
    assert first.previous is None and not first.changed
    kept = await store.cast(db, key, "h1", UP, guild_id=5, now=101.0)
    assert kept.previous == UP and not kept.changed
    changed = await store.cast(db, key, "h1", DOWN, guild_id=5, now=102.0)
    assert changed.previous == UP and changed.changed
    await store.cast(db, key, "h2", DOWN, guild_id=5, now=103.0)
    await store.cast(db, key, "h1", UP, guild_id=6, now=104.0)  # another server counts apart
    rows = await db.fetchall("SELECT guild_id, user_hash, vote, created_at, updated_at FROM votes ORDER BY created_at")
    assert [tuple(r) for r in rows] == [
        (5, "h1", -1, 100.0, 102.0),
        (5, "h2", -1, 103.0, 103.0),
        (6, "h1", 1, 104.0, 104.0),
    ]
    with pytest.raises(ValueError, match="a vote is 1 or -1"):
        await store.cast(db, key, "h3", 0, guild_id=5)
    await db.close()


async def test_votes_are_pruned_with_the_usage_log(db_target: Path | str) -> None:
    db = await open_database(db_target)
    now = 1_780_000_000.0
    usage = UsageLog(db, interval=3600, clock=lambda: now)
    key = AnswerKey.make("treaty", "treaty", "mutual-defense-treaty-1953", "mdt")
    assert key is not None
    await store.cast(db, key, "old", DOWN, guild_id=1, now=now - 91 * 86400)
    await store.cast(db, key, "new", DOWN, guild_id=1, now=now - 89 * 86400)
    await usage.prune(90)
    assert [r[0] for r in await db.fetchall("SELECT user_hash FROM votes")] == ["new"]
    await db.close()


def _row(ts: float, command: str, options: dict, outcome: str = "answered", guild: int = 1) -> UsageRecord:
    return UsageRecord(ts, "command", command, json.dumps(options), outcome, 1.0, guild, 2, "h", "en-US")


async def test_the_to_do_list_has_the_answers_marked_not_useful(db_target: Path | str) -> None:
    db = await open_database(db_target)
    now = 1_780_000_000.0
    usage = UsageLog(db, interval=3600)
    usage.record(_row(now - 60, "fact", {"query": "How many troops?"}))
    usage.record(_row(now - 50, "fact", {"query": "qqq"}, "nothing_found"))
    await usage.flush()
    bad = AnswerKey.make("fact", "fact", "usfk-troops", "how many troops")
    good = AnswerKey.make("treaty", "treaty", "mutual-defense-treaty-1953", "mdt")
    gone = AnswerKey.make("viewpoints", "viewpoint", "cost-sharing", "never logged")
    assert bad and good and gone
    for user, vote in (("a", DOWN), ("b", DOWN), ("c", UP)):
        await store.cast(db, bad, user, vote, guild_id=1, now=now - 10)
    await store.cast(db, good, "a", UP, guild_id=1, now=now - 10)  # liked: not on the list
    await store.cast(db, gone, "a", DOWN, guild_id=1, now=now - 10)
    await store.cast(db, bad, "z", DOWN, guild_id=2, now=now - 10)  # another server
    await store.cast(db, bad, "y", DOWN, guild_id=1, now=now - 8 * 86400)  # before the window
    summary = await summarise(db, 7, now=now, guild_id=1)
    assert [(u.entry_id, u.down, u.up, u.question) for u in summary.unhelpful] == [
        ("usfk-troops", 2, 1, "How many troops?"),
        ("cost-sharing", 1, 0, None),
    ]
    assert summary.missing == [("fact", "qqq", 1)]
    everywhere = await summarise(db, 7, now=now)
    assert everywhere.unhelpful[0].down == 3
    await db.close()


# -- on Discord


async def _answer(env: BotEnv, name: str, options: dict) -> tuple[dict, dict]:
    fake = env.fake
    payload = await fake.send_interaction(fake.command(name, options))
    await fake.wait_for_callback(payload)
    message = copy.deepcopy(await eventually(lambda: fake.original_message(payload), what="the answer"))
    return payload, message


async def _press(env: BotEnv, cid: str, message_id: int | str, user_id: int | None = None) -> dict:
    fake = env.fake
    payload = await fake.send_interaction(fake.component(cid, message_id=message_id, user_id=user_id))
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == DEFERRED and cb["data"]["flags"] & EPHEMERAL  # deferred first: the write may take a while
    return await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the vote reply",
    )


async def test_voting_on_an_answer_once_changed_kept_and_stored_hashed(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    _, message = await _answer(bot_env, "fact", {"query": "how many us troops are in korea"})
    up, down = [c for c in custom_ids(message) if c.startswith("ab1:v:")]
    assert votes.parse(up)[0] == UP and votes.parse(down)[0] == DOWN  # type: ignore[index]
    first = await _press(bot_env, up, message["id"])
    assert first["flags"] & EPHEMERAL and "Thanks for your vote" in reply_text(first)
    again = await _press(bot_env, up, message["id"])
    assert "Vote kept" in reply_text(again) and "counted once" in reply_text(again)
    changed = await _press(bot_env, down, message["id"])
    assert "Vote changed" in reply_text(changed) and "not useful" in reply_text(changed)
    other = fake.add_user()
    await _press(bot_env, up, message["id"], user_id=other)
    rows = await bot_env.db.fetchall("SELECT user_hash, vote, guild_id FROM votes ORDER BY created_at")
    assert [tuple(r) for r in rows] == [
        (hash_user(b"test-key", fake.user_id), -1, fake.guild_id),
        (hash_user(b"test-key", other), 1, fake.guild_id),
    ]
    dump = "\n".join(" ".join(map(str, r)) for r in await bot_env.db.fetchall("SELECT * FROM votes"))
    assert str(fake.user_id) not in dump and str(other) not in dump  # never the raw id
    usage = await bot_env.usage_rows(5)
    assert [(r[0], r[1], r[3]) for r in usage[1:]] == [("component", "vote", "answered")] * 4


async def test_the_buttons_work_with_no_memory_of_the_answer(bot_env: BotEnv) -> None:
    """Nothing of a vote is kept in memory: with the page store emptied (as after a restart) and on a message the
    bot never saw, a well-formed button still counts."""
    _, message = await _answer(bot_env, "treaty", {"name": "mdt"})
    up = next(c for c in custom_ids(message) if c.startswith("ab1:v:u:"))
    bot_env.bot.pages = send.PageStore()
    reply = await _press(bot_env, up, message["id"])
    assert "Thanks for your vote" in reply_text(reply)
    key = AnswerKey.make("viewpoints", "viewpoint", "cost-sharing", "cost sharing")
    assert key is not None
    reply = await _press(bot_env, votes.custom_id(key, DOWN), 123456789)
    assert "Thanks for your vote" in reply_text(reply)
    assert await bot_env.db.scalar("SELECT count(*) FROM votes") == 2


async def test_answers_without_a_verdict_have_no_vote_buttons(bot_env: BotEnv) -> None:
    for name, options in (("today", {"date": "07-27"}), ("treaty", {}), ("source", {"source": "detrani-2025"})):
        _, message = await _answer(bot_env, name, options)
        assert not [c for c in custom_ids(message) if c.startswith("ab1:v:")], name


@pytest.mark.parametrize(
    "cid",
    [
        "ab1:v:u:f:f:usfk-troops:nothex00",
        "ab1:v:q:f:f:usfk-troops:12345678",
        "ab1:v:u:f:f:" + "x" * 95,
        "ab1:v:u:t:t:no-such-treaty-ever:12345678",  # well formed, but no such entry
    ],
)
async def test_a_forged_vote_is_refused_clearly_and_nothing_is_stored(bot_env: BotEnv, cid: str) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.component(cid, message_id=1))
    cb = await fake.wait_for_callback(payload)
    assert cb["data"]["flags"] & EPHEMERAL
    text = reply_text(cb["data"])
    assert ("not one the bot made" in text or "no longer in the digest" in text) and "error id" not in text.lower()
    assert await bot_env.db.scalar("SELECT count(*) FROM votes") == 0
    rows = await bot_env.usage_rows(1)
    assert (rows[0][1], rows[0][3]) == ("vote", "invalid_input")


async def test_a_locked_database_is_said_and_the_next_press_counts(bot_env: BotEnv, tmp_path: Path) -> None:
    _, message = await _answer(bot_env, "fact", {"query": "how many us troops are in korea"})
    up = next(c for c in custom_ids(message) if c.startswith("ab1:v:u:"))
    await bot_env.db.conn.execute("PRAGMA busy_timeout = 0")  # fail at once instead of waiting 5 s for the lock
    other = sqlite3.connect(bot_env.db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        reply = await _press(bot_env, up, message["id"])
    finally:
        other.execute("ROLLBACK")
        other.close()
        # the lock is gone: the bot waits for a busy database again, as it does (the usage log may be writing)
        await bot_env.db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    text = reply_text(reply)
    assert "Vote not saved" in text and "Press the button again" in text
    assert await bot_env.db.scalar("SELECT count(*) FROM votes") == 0
    reply = await _press(bot_env, up, message["id"])
    assert "Thanks for your vote" in reply_text(reply)
    assert await bot_env.db.scalar("SELECT count(*) FROM votes") == 1


async def test_stats_show_the_to_do_list(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    _, message = await _answer(bot_env, "fact", {"query": "how many us troops are in korea"})
    down = next(c for c in custom_ids(message) if c.startswith("ab1:v:d:"))
    await _press(bot_env, down, message["id"])
    await _answer(bot_env, "fact", {"query": "qqqzzz xxyyq"})
    await _answer(bot_env, "today", {})
    payload = await fake.send_interaction(fake.command("stats", {"days": 7}, member_permissions=MANAGE_GUILD))
    await fake.wait_for_callback(payload)
    stats = await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the stats",
    )
    fields = {f["name"]: f["value"] for f in stats["embeds"][0]["fields"]}
    unhelpful = fields["To do: answers marked not useful"]
    assert "1× 👎 0× 👍" in unhelpful and "“how many us troops are in korea”" in unhelpful
    assert "qqqzzz xxyyq" in fields["To do: asked, but nothing found (what the digest lacks)"]
    per_command = fields["Per command"]
    assert "`/vote`" not in per_command and "vote 1" in fields["Clicks (pages, menus, votes)"]


async def test_the_vote_reply_comes_even_when_many_press_at_once(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    _, message = await _answer(bot_env, "viewpoints", {"topic": "cost sharing"})
    up = next(c for c in custom_ids(message) if c.startswith("ab1:v:u:"))
    users = [fake.add_user() for _ in range(10)]
    replies = await asyncio.gather(*(_press(bot_env, up, message["id"], user_id=u) for u in users))
    assert all("Thanks for your vote" in reply_text(r) for r in replies)
    assert await bot_env.db.scalar("SELECT count(*) FROM votes") == 10


async def test_a_vote_counts_after_a_real_restart(tmp_path: Path) -> None:
    """The bot that sent the answer is stopped; a new process (a new client, an empty memory) on the same
    database gets the press on the old message, and counts it against the vote cast before the restart."""
    import contextlib

    from alliance_bot.discord_ui.bot import AllianceBot
    from alliance_bot.library import ContentStore
    from conftest import BOT_TOKEN, CONTENT
    from fakediscord import FakeDiscord, disable_identify_delay

    s = ContentStore(CONTENT)
    assert s.load().ok

    async def reply_to(fake: FakeDiscord, payload: dict) -> dict:
        await fake.wait_for_callback(payload)
        return await eventually(
            lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
            what="the reply",
        )

    async with FakeDiscord() as fake:
        with fake.patch_discord():
            db = await Database.open(tmp_path / "bot.db")
            message: dict = {}
            try:
                for run in (1, 2):
                    bot = AllianceBot(store=s, db=db, usage=None, hash_key=b"k", guild_ready_timeout=0.05)
                    disable_identify_delay(bot)
                    task = asyncio.create_task(bot.start(BOT_TOKEN))
                    try:
                        await fake.wait_for_ready(run)
                        await eventually(bot.is_ready, 10, "the bot to be ready")
                        if run == 1:
                            await bot.tree.sync()
                            message = await reply_to(
                                fake, await fake.send_interaction(fake.command("treaty", {"name": "mdt"}))
                            )
                        up, down = [c for c in custom_ids(message) if c.startswith("ab1:v:")]
                        pressed = await fake.send_interaction(
                            fake.component(up if run == 1 else down, message_id=message["id"])
                        )
                        reply = await reply_to(fake, pressed)
                        assert ("Thanks for your vote" if run == 1 else "Vote changed") in reply_text(reply)
                    finally:
                        await bot.close()
                        with contextlib.suppress(Exception):
                            await asyncio.wait_for(task, 10)
                assert [r[0] for r in await db.fetchall("SELECT vote FROM votes")] == [DOWN]
            finally:
                await db.close()


async def test_the_command_line_shows_the_to_do_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from alliance_bot.cli import main

    db_path = tmp_path / "bot.db"
    db = await Database.open(db_path)
    usage = UsageLog(db)
    now = time.time()
    usage.record(_row(now - 60, "fact", {"query": "How many troops?"}))
    usage.record(_row(now - 60, "today", {}, "nothing_found"))
    await usage.close()
    key = AnswerKey.make("fact", "fact", "usfk-troops", "how many troops")
    assert key is not None
    await store.cast(db, key, "a", DOWN, guild_id=1)
    await db.close()
    monkeypatch.setenv("ALLIANCE_BOT_DB", str(db_path))
    assert await asyncio.to_thread(main, ["stats", "--days", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unhelpful"] == [
        {
            "command": "fact",
            "entry_kind": "fact",
            "entry_id": "usfk-troops",
            "question_hash": key.question,
            "question": "How many troops?",
            "down": 1,
            "up": 0,
        }
    ]
    assert out["missing"] == [{"command": "today", "query": "", "count": 1}]
    assert {"days", "total", "per_command", "per_day", "missing"} <= set(out)  # the fields scripts rely on stay
    assert await asyncio.to_thread(main, ["stats", "--days", "7"]) == 0
    text = capsys.readouterr().out
    assert "1 down, 0 up: fact usfk-troops, the answer to /fact “How many troops?”" in text
    assert "1x /today with no date" in text


async def test_the_pair_stays_when_the_pages_turn(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload, message = await _answer(bot_env, "fact", {"query": "how many us troops are in korea"})
    pair = [c for c in custom_ids(message) if c.startswith("ab1:v:")]
    turn = next(c for c in custom_ids(message) if c.startswith("ab1:pg:") and c.endswith(":1"))
    pressed = await fake.send_interaction(
        fake.component(turn, message_id=message["id"], user_id=payload["member"]["user"]["id"])
    )
    cb = await fake.wait_for_callback(pressed)
    assert cb["type"] == 7  # the message updated in place
    after = custom_ids(cb["data"])
    assert len(pair) == 2 and after[-2:] == pair
