"""The bot end to end: the real discord.py client against the fake Discord, asserting what Discord would see."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re

import discord
import pytest

from alliance_bot.present.limits import FIRST_MESSAGE_BUDGET, INLINE_VALUE_MAX, KEY_LINE_WITHIN, visible_text
from conftest import MANAGE_GUILD, MEMBER_PERMISSIONS, BotEnv, eventually

EPHEMERAL = 1 << 6
CHANNEL_MESSAGE = 4
DEFERRED = 5
UPDATE_MESSAGE = 7
AUTOCOMPLETE = 8


def embed(cb: dict, i: int = 0) -> dict:
    return cb["data"]["embeds"][i]


def all_text(e: dict) -> str:
    return " ".join(
        [e.get("title", ""), e.get("description", "")] + [f["name"] + " " + f["value"] for f in e.get("fields", [])]
    )


def custom_ids(message: dict) -> list[str]:
    return [
        c["custom_id"] for row in message.get("components", []) for c in row.get("components", []) if "custom_id" in c
    ]


async def test_today_with_a_date(bot_env: BotEnv) -> None:
    cb = await bot_env.ask("today", {"date": "07-27"})
    assert cb["type"] == CHANNEL_MESSAGE
    e = embed(cb)
    assert e["title"] == "On this day: July 27"
    assert "Korean Armistice Agreement signed" in all_text(e)
    assert "“" in all_text(e), "citations are visible"
    assert cb["data"]["allowed_mentions"] == {"parse": []}
    assert not cb["data"].get("flags", 0) & EPHEMERAL


async def test_today_bad_date_is_a_clear_ephemeral_message(bot_env: BotEnv) -> None:
    cb = await bot_env.ask("today", {"date": "02-30"})
    assert cb["data"]["flags"] & EPHEMERAL
    assert "February has no day 30" in all_text(embed(cb))


@pytest.mark.parametrize(
    ("name", "options", "expect"),
    [
        ("treaty", {"name": "mdt"}, "US–ROK Mutual Defense Treaty"),
        ("fact", {"query": "how many us troops are in korea"}, "28,500"),
        ("viewpoints", {"topic": "cost-sharing"}, "Who should pay for US forces in South Korea"),
        ("timeline", {"from": "1950", "to": "1953"}, "July 27, 1953"),
        ("source", {"source": "detrani-2025"}, "Joseph R. DeTrani"),
        ("help", None, "`query`: Troop numbers"),
        ("about", None, "45 events"),
    ],
)
async def test_every_command_replies(bot_env: BotEnv, name: str, options: dict | None, expect: str) -> None:
    cb = await bot_env.ask(name, options)
    assert cb["type"] == CHANNEL_MESSAGE
    assert expect in all_text(embed(cb))
    assert cb["data"]["allowed_mentions"] == {"parse": []}


async def test_viewpoints_are_full_width_blocks_with_a_quote_each(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("viewpoints", {"topic": "armistice-or-peace"}))
    cb = await fake.wait_for_callback(payload)
    e = embed(cb)
    positions = e["fields"]
    # each position its own full-width block (phones ignore inline; no footnote numbers to look up)
    assert len(positions) >= 2 and not any(f["inline"] for f in positions)
    assert all(f["value"].count("\n> “") == 1 and " — " in f["value"].split("\n> ")[1] for f in positions)
    assert "side by side" not in e["footer"]["text"] and "changes daily" in e["footer"]["text"]
    assert "[1]" not in all_text(e)
    # the other quotes are behind the Sources button, for anyone, with full titles
    message = await eventually(lambda: fake.original_message(payload), what="the answer message")
    sources_id = next(c for c in custom_ids(message) if c.startswith("ab1:src:"))
    click = await fake.send_interaction(fake.component(sources_id, message_id=message["id"], user_id=fake.add_user()))
    shown = await fake.wait_for_callback(click)
    assert shown["data"]["flags"] & EPHEMERAL
    text = " ".join(all_text(x) for x in shown["data"]["embeds"])
    assert "It’s Time To Recalibrate The US Alliance With South Korea" in text and "(`recalibrate-2023`)" in text


async def test_nothing_found(bot_env: BotEnv) -> None:
    cb = await bot_env.ask("fact", {"query": "qqqzzz xxyyq"})
    assert embed(cb)["title"] == "Nothing found"


async def test_autocomplete_choices(bot_env: BotEnv) -> None:
    payload = await bot_env.fake.send_interaction(bot_env.fake.autocomplete("treaty", "name", "mut"))
    cb = await bot_env.fake.wait_for_callback(payload)
    assert cb["type"] == AUTOCOMPLETE
    choices = cb["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert "mutual-defense-treaty-1953" in [c["value"] for c in choices]
    assert all(len(c["name"]) <= 100 for c in choices)


async def test_autocomplete_the_bot_cannot_route_gets_empty_choices(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    # a command the bot no longer has (Discord's list is out of date), and an option without autocomplete: Discord
    # accepts only choices (type 8) for an autocomplete interaction, so each gets an empty list, never a message
    fake = bot_env.fake
    caplog.set_level(logging.INFO, logger="alliance_bot")
    requests = [
        fake.autocomplete("gone", "name", "x"),
        fake.autocomplete("gone", "name", "xy"),
        fake.autocomplete("fact", "nosuch", "x"),
        fake.autocomplete("content", "role", "x", subcommand="nosuch"),
    ]
    for request in requests:
        payload = await fake.send_interaction(request)
        cb = await fake.wait_for_callback(payload)
        assert cb == {"type": AUTOCOMPLETE, "data": {"choices": []}}
        assert [r.ok for r in fake.callback_requests(payload)] == [True]  # one reply, accepted
    rows = await bot_env.usage_rows(4)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("autocomplete", "gone", "error"),
        ("autocomplete", "gone", "error"),
        ("autocomplete", "fact", "error"),
        ("autocomplete", "content nosuch", "error"),
    ]
    # logged once per command, not once per keystroke
    lines = [r.getMessage() for r in caplog.records if "autocomplete" in r.getMessage() and r.levelno >= logging.INFO]
    assert len([m for m in lines if "gone" in m]) == 1, lines
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.WARNING)


async def test_pages_turn_for_the_asker_only(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("source", {"source": "detrani-2025"}))
    cb = await fake.wait_for_callback(payload)
    assert embed(cb)["footer"]["text"].startswith("Page 1/")
    message = await eventually(lambda: fake.original_message(payload), what="the answer message")
    next_id = next(c for c in custom_ids(message) if c.startswith("ab1:pg:") and c.endswith(":1"))
    # someone else clicks: refused, ephemeral, the page does not move
    other = await fake.send_interaction(fake.component(next_id, message_id=message["id"], user_id=fake.add_user()))
    refused = await fake.wait_for_callback(other)
    assert refused["type"] == CHANNEL_MESSAGE and refused["data"]["flags"] & EPHEMERAL
    assert "Only the person who asked" in all_text(embed(refused))
    # the asker clicks: the message is updated to page 2
    mine = await fake.send_interaction(
        fake.component(next_id, message_id=message["id"], user_id=payload["member"]["user"]["id"])
    )
    turned = await fake.wait_for_callback(mine)
    assert turned["type"] == UPDATE_MESSAGE
    assert embed(turned)["footer"]["text"].startswith("Page 2/")


async def test_expired_or_tampered_buttons(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    for custom_id in (
        "ab1:pg:nosuchtoken:1",
        "ab1:pj:nosuchtoken:0",
        "ab1:src:nosuchtoken",
        "ab1:src:nosuchtoken:3",
        "garbage",
        "ab1:pg:x:y:z",
        "old-v0-button",
    ):
        p = await fake.send_interaction(fake.component(custom_id, message_id=fake.channel_id + 1))
        cb = await fake.wait_for_callback(p)
        assert cb["data"]["flags"] & EPHEMERAL
        assert "expired" in all_text(embed(cb))


async def test_treaty_menu_leads_to_its_debates(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("treaty", {"name": "mdt"}))
    await fake.wait_for_callback(payload)
    message = await eventually(lambda: fake.original_message(payload), what="the answer message")
    menu = next(c for row in message["components"] for c in row["components"] if c["type"] == 3)
    assert menu["placeholder"] == "Open a debate or an event…"
    assert all(len(o["label"]) <= 40 for o in menu["options"])  # not cut at a phone's width
    debate = next(o for o in menu["options"] if o["emoji"]["name"] == "⚖️")
    assert debate["description"].endswith("Debate: the positions, with sources")
    click = await fake.send_interaction(
        fake.component(
            menu["custom_id"],
            message_id=message["id"],
            component_type=3,
            values=[debate["value"]],
            user_id=fake.add_user(),
        )
    )
    cb = await fake.wait_for_callback(click)
    assert cb["data"]["flags"] & EPHEMERAL
    card = embed(cb)
    assert card["title"].startswith(debate["label"].rstrip("…")) and len(card["fields"]) >= 2  # its positions
    # an answer opened from a menu can be voted on, as one asked for
    buttons = [c for row in cb["data"]["components"] for c in row["components"] if c["type"] == 2]
    assert sorted(b["custom_id"][:8] for b in buttons if b["custom_id"].startswith("ab1:v:")) == [
        "ab1:v:d:",
        "ab1:v:u:",
    ]


async def test_an_event_picked_from_a_treaty_opens_its_card(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("treaty", {"name": "mdt"}))
    await fake.wait_for_callback(payload)
    message = await eventually(lambda: fake.original_message(payload), what="the answer message")
    menu = next(c for row in message["components"] for c in row["components"] if c["type"] == 3)
    events = [o for o in menu["options"] if o["emoji"]["name"] == "📅"]
    # in date order, an event known only to its year after the dated ones of that year
    assert [o["description"].rsplit(" · ", 1)[-1] for o in events][:4] == [
        "During 1948",
        "June 18, 1953",
        "October 1, 1953",
        "During 1953",
    ]
    dulles = next(o for o in events if o["label"].startswith("Secretary of State Dulles"))
    click = await fake.send_interaction(
        fake.component(menu["custom_id"], message_id=message["id"], component_type=3, values=[dulles["value"]])
    )
    cb = await fake.wait_for_callback(click)
    card = embed(cb)
    assert cb["data"]["flags"] & EPHEMERAL
    assert card["title"] == "Secretary of State Dulles arrives in Seoul for Mutual Defense Treaty talks"
    assert card["description"].startswith("**During 1953**") and "\n> “" in card["description"]
    assert "Timeline" not in card["title"]


async def test_moderator_command_refused_to_a_member(bot_env: BotEnv) -> None:
    cb = await bot_env.ask("content", subcommand="status", member_permissions=MEMBER_PERMISSIONS)
    assert cb["data"]["flags"] & EPHEMERAL
    assert "for moderators" in all_text(embed(cb))
    ok = await bot_env.ask("content", subcommand="status", member_permissions=MANAGE_GUILD)
    assert "Content status" in all_text(embed(ok))
    rows = await bot_env.usage_rows(2)
    assert [r[3] for r in rows if r[1] == "content status"] == ["refused", "answered"]


async def test_moderator_role_grants_the_commands(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    role = await fake.add_role("Digest editors")
    cb = await bot_env.ask("content", {"role": role}, subcommand="moderator-role", member_permissions=MANAGE_GUILD)
    assert "Digest editors" in all_text(embed(cb)) or str(role) in all_text(embed(cb))
    ok = await bot_env.ask("stats", member_permissions=MEMBER_PERMISSIONS, roles=[role])
    assert ok["type"] == DEFERRED
    # a role holder cannot hand the role to others
    no = await bot_env.ask(
        "content", {"role": role}, subcommand="moderator-role", member_permissions=MEMBER_PERMISSIONS, roles=[role]
    )
    assert "for moderators" in all_text(embed(no))


async def test_reload_with_broken_content_keeps_old_answers(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    events = bot_env.content / "events.yaml"
    events.write_text(events.read_text().replace('date: "1953-07-27"', 'date: "1953-02-30"', 1))
    payload = await fake.send_interaction(fake.command("content", subcommand="reload", member_permissions=MANAGE_GUILD))
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == DEFERRED and cb["data"]["flags"] & EPHEMERAL
    message = await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the reload result",
    )
    text = all_text(message["embeds"][0])
    assert "Content not reloaded" in text and "events.yaml" in text and "not a real date" in text
    answer = await bot_env.ask("today", {"date": "07-27"})
    assert "Korean Armistice Agreement signed" in all_text(embed(answer))


async def test_reload_with_many_problems_attaches_the_list(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    facts = bot_env.content / "facts.yaml"
    facts.write_text(re.sub(r"quote: \"", 'quote: "NOT IN THE TEXT ', facts.read_text()))
    payload = await fake.send_interaction(fake.command("content", subcommand="reload", member_permissions=MANAGE_GUILD))
    await fake.wait_for_callback(payload)
    req = await fake.wait_for_request(lambda r: r.method in ("PATCH", "POST") and "/webhooks/" in r.path and r.files)
    listing = next(iter(req.files.values())).decode()
    assert listing.count("quote not found") > 50


async def test_reload_of_valid_content_reports_changes(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    (bot_env.content / "more.yaml").write_text(
        "facts:\n  - id: brand-new-fact\n    statement: A new fact.\n    citations:\n"
        '      - {source: detrani-2025, quote: "Friday, August 22, 2025"}\n'
    )
    payload = await fake.send_interaction(fake.command("content", subcommand="reload", member_permissions=MANAGE_GUILD))
    await fake.wait_for_callback(payload)
    message = await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the reload result",
    )
    assert "brand-new-fact" in all_text(message["embeds"][0])
    cb = await bot_env.ask("fact", {"query": "a new fact"})
    assert "A new fact." in all_text(embed(cb))


async def test_a_failing_command_gets_one_reply_with_an_error_id(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    caplog.set_level(logging.INFO)
    monkeypatch.setattr(bot_env.store.current.answers, "fact", boom)
    payload = await bot_env.fake.send_interaction(bot_env.fake.command("fact", {"query": "troops"}))
    cb = await bot_env.fake.wait_for_callback(payload)
    assert cb["data"]["flags"] & EPHEMERAL
    found = re.search(r"Error id `([0-9a-f]{8})`", all_text(embed(cb)))
    assert found
    assert any(found.group(1) in r.getMessage() and r.exc_info for r in caplog.records if r.levelno >= logging.ERROR)
    # the interaction's own log line carries the same error id
    assert any(
        r.getMessage().startswith("interaction kind=command command=fact outcome=error")
        and f"error_id={found.group(1)}" in r.getMessage()
        for r in caplog.records
    )
    await asyncio.sleep(0.2)
    assert len(bot_env.fake.callback_requests(payload)) == 1
    rows = await bot_env.usage_rows(1)
    assert rows[-1][3] == "error" and rows[-1][9] == found.group(1)


async def test_usage_rows_for_each_interaction(bot_env: BotEnv) -> None:
    await bot_env.ask("today", {"date": "07-27"})
    await bot_env.ask("fact", {"query": "qqqzzz xxyyq"})
    await bot_env.ask("today", {"date": "13-45"})
    await bot_env.fake.wait_for_callback(
        await bot_env.fake.send_interaction(bot_env.fake.autocomplete("fact", "query", "tro"))
    )
    rows = await bot_env.usage_rows(4)
    by_command = [(r[0], r[1], r[3]) for r in rows]
    assert by_command == [
        ("command", "today", "answered"),
        ("command", "fact", "nothing_found"),
        ("command", "today", "invalid_input"),
        ("autocomplete", "fact", "answered"),
    ]
    for _kind, _command, _options, _outcome, latency, guild, channel, user_hash, locale, _ in rows:
        assert guild == bot_env.fake.guild_id and channel == bot_env.fake.channel_id
        assert latency is not None and latency >= 0
        assert user_hash and str(bot_env.fake.user_id) not in user_hash
        assert locale == "en-US"
    assert '"query": "qqqzzz xxyyq"' in rows[1][2]


async def test_gateway_reconnect_loses_nothing(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    await bot_env.ask("today", {"date": "07-27"})
    await fake.gateway_close(4000)
    await fake.wait_for_resumed(1)
    cb = await bot_env.ask("fact", {"query": "cheonan"})
    assert "Cheonan" in embed(cb)["title"]  # the answer's own statement, not the query
    await fake.gateway_invalid_session(resumable=False)
    await eventually(lambda: fake.identify_count >= 2, 15, "a new IDENTIFY")
    await eventually(bot_env.bot.is_ready, 10, "ready again")
    cb = await bot_env.ask("treaty", {"name": "korus"})
    assert "Free Trade Agreement" in all_text(embed(cb))
    rows = await bot_env.usage_rows(3)
    assert [r[1] for r in rows] == ["today", "fact", "treaty"]


async def test_stats_for_moderators(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    await bot_env.ask("fact", {"query": "qqqzzz xxyyq"})
    payload = await fake.send_interaction(fake.command("stats", {"days": 7}, member_permissions=MANAGE_GUILD))
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == DEFERRED
    message = await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the stats",
    )
    text = all_text(message["embeds"][0])
    assert "Per command" in text and "qqqzzz xxyyq" in text


async def test_sync_payload_is_valid_and_skipped_when_unchanged(bot_env: BotEnv, tmp_path) -> None:
    from alliance_bot.discord_ui.sync import sync_commands
    from alliance_bot.settings import Settings

    fake = bot_env.fake
    settings = Settings(db=tmp_path / "sync.db", content_dir=bot_env.content)
    before = fake.sync_count
    assert await sync_commands(settings, "MTA.fake.token", bot_env.store, None) == 0
    assert fake.sync_count == before + 1
    names = sorted(c["name"] for c in fake.commands())
    assert names == [
        "about",
        "anniversaries",
        "content",
        "fact",
        "help",
        "source",
        "stats",
        "timeline",
        "today",
        "treaty",
        "viewpoints",
    ]
    for c in fake.commands():
        assert c["name"] == c["name"].lower() and len(c["name"]) <= 32 and 1 <= len(c["description"]) <= 100
    for name in ("anniversaries", "content", "stats"):  # hidden from members by default
        cmd = next(c for c in fake.commands() if c["name"] == name)
        assert str(cmd["default_member_permissions"]) == MANAGE_GUILD
    for cmd in fake.commands():
        if cmd["name"] not in ("anniversaries", "content", "stats"):
            assert cmd.get("default_member_permissions") is None
    assert await sync_commands(settings, "MTA.fake.token", bot_env.store, None) == 0
    assert fake.sync_count == before + 1, "an unchanged command set is not sent again"
    assert await sync_commands(settings, "MTA.fake.token", bot_env.store, fake.guild_id) == 0
    assert fake.sync_count == before + 2 and fake.commands(fake.guild_id)


async def test_stats_give_the_numbers_of_the_row_by_row_computation(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from alliance_bot.present.embed_moderation import render_stats
    from alliance_bot.storage import usage as usage_module
    from stats_reference import summarise_reference
    from test_storage import _varied_rows

    fake = bot_env.fake
    for r in _varied_rows(1500, time.time() - 3600):
        bot_env.usage.record(dataclasses.replace(r, guild_id=fake.guild_id if r.guild_id == 1 else r.guild_id))
    await bot_env.usage.flush()
    expected = await summarise_reference(bot_env.db, 30, guild_id=fake.guild_id)
    payload = await fake.send_interaction(fake.command("stats", {"days": 30}, member_permissions=MANAGE_GUILD))
    await fake.wait_for_callback(payload)
    message = await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the stats",
    )
    from alliance_bot.discord_ui.mentions import mentions

    want = render_stats(expected, mentions(bot_env.bot, fake.guild_id)).pages[0][0]
    assert all_text(message["embeds"][0]) == all_text(want)
    # past the time limit: a clear reply, not an error
    monkeypatch.setattr(usage_module.summarise, "__kwdefaults__", {"now": None, "guild_id": None, "time_limit": 0.0})
    payload = await fake.send_interaction(fake.command("stats", {"days": 30}, member_permissions=MANAGE_GUILD))
    await fake.wait_for_callback(payload)
    message = await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the reply",
    )
    text = all_text(message["embeds"][0])
    assert "Statistics stopped" in text and "took longer than 0 s" in text and "fewer days" in text
    assert "error id" not in text.lower()


async def test_help_and_hints_mention_the_commands_by_their_registered_ids(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    ids = {c["name"]: c["id"] for c in fake.commands()}  # what Discord gave the commands when they were synced
    cb = await bot_env.ask("help")
    text = all_text(embed(cb))
    for name in ("today", "treaty", "fact", "viewpoints", "timeline", "source", "stats"):
        assert f"</{name}:{ids[name]}>" in text
    assert f"</content reload:{ids['content']}>" in text and f"</anniversaries set:{ids['anniversaries']}>" in text
    # an error's next step too
    cb = await bot_env.ask("today", {"date": "02-30"})
    e = embed(cb)
    assert e["title"] == "Not a date I can read"
    step = f"Try </today:{ids['today']}> again with another date, or with none for today."
    assert e["description"] == f"“02-30”: February has no day 30.\n{step}"


async def test_nothing_found_goes_to_the_asker_alone_with_clickable_next_steps(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    ids = {c["name"]: c["id"] for c in fake.commands()}
    cb = await bot_env.ask("fact", {"query": "sewol ferry disaster"})
    assert cb["data"].get("flags", 0) & EPHEMERAL, "a reply that found nothing is only for the asker"
    text = all_text(embed(cb))
    assert "The digest has nothing on" in text
    assert f"</timeline:{ids['timeline']}>" in text and f"</treaty:{ids['treaty']}>" in text
    cb = await bot_env.ask("treaty", {"name": "washington declaration"})
    assert cb["data"].get("flags", 0) & EPHEMERAL and f"</treaty:{ids['treaty']}>" in all_text(embed(cb))
    cb = await bot_env.ask("fact", {"query": "how many us troops are in korea"})
    assert not cb["data"].get("flags", 0) & EPHEMERAL, "an answer is for the channel"


async def test_commands_whose_ids_are_not_known_are_named_as_text(bot_env: BotEnv) -> None:
    bot_env.bot.tree.command_ids.clear()  # type: ignore[attr-defined]
    cb = await bot_env.ask("help")
    text = all_text(embed(cb))
    assert "</" not in text and "/today `[date]`" in text and "/content reload · /content status" in text


async def test_the_ids_are_fetched_at_start_up(bot_env: BotEnv) -> None:
    """A restarted bot knows the ids without syncing: it fetches the registered commands once (globally, and in
    each server `alliance-bot sync --guild` registered them in, which the database remembers)."""
    from alliance_bot.discord_ui import tree

    fake, bot = bot_env.fake, bot_env.bot
    bot.tree.copy_global_to(guild=discord.Object(fake.guild_id))
    await bot.tree.sync(guild=discord.Object(fake.guild_id))
    bot.tree.clear_commands(guild=discord.Object(fake.guild_id))
    await bot_env.db.set_meta(f"sync:{bot.application_id}:{fake.guild_id}", "hash")
    t = bot.tree
    assert isinstance(t, tree.AllianceTree)
    t.command_ids.clear()
    t._synced.clear()
    await tree.learn_command_ids(bot)
    global_id = next(c["id"] for c in fake.commands() if c["name"] == "today")
    guild_id = next(c["id"] for c in fake.commands(fake.guild_id) if c["name"] == "today")
    assert global_id != guild_id
    assert t.mentions(None)["today"] == f"</today:{global_id}>"
    assert t.mentions(fake.guild_id)["today"] == f"</today:{guild_id}>"  # the server's own registration first
    # Discord failing: plain names, a warning, no failure
    t.command_ids.clear()
    fake.fail_next("GET", r"/applications/\d+/commands", status=403, times=10)
    fake.fail_next("GET", r"/applications/\d+/guilds/\d+/commands", status=403, times=10)
    await tree.learn_command_ids(bot)
    assert t.mentions(fake.guild_id) == {}


async def test_error_replies_have_their_own_title_and_a_next_step(bot_env: BotEnv) -> None:
    cases = [
        (("timeline", {"from": "1960", "to": "1950"}), {}, "Not a timeline I can show", "from 1950 to 1953"),
        (("stats", None), {"member_permissions": MEMBER_PERMISSIONS}, "Moderators only", "Ask one of them"),
    ]
    for (name, options), kwargs, title, step in cases:
        cb = await bot_env.ask(name, options, **kwargs)
        e = embed(cb)
        assert e["title"] == title and step in e["description"], e
        first = e["description"].split("\n")[0]
        assert first[0].isupper() and first.endswith("."), first  # a sentence


@pytest.mark.parametrize(
    ("name", "options", "key"),
    [
        ("fact", {"query": "how many us troops are in korea"}, "About 28,500 U.S. troops are stationed in South Korea"),
        ("fact", {"query": "korean war american deaths"}, "over 37,000 Americans were killed in the Korean War"),
        ("treaty", {"name": "mdt"}, "US–ROK Mutual Defense Treaty"),
        ("treaty", {"name": "armistice"}, "Korean Armistice Agreement"),
        ("today", {"date": "07-27"}, "Korean Armistice Agreement signed"),
    ],
)
async def test_first_message_payload_within_the_reading_budget(
    bot_env: BotEnv, name: str, options: dict, key: str
) -> None:
    cb = await bot_env.ask(name, options)
    embeds = cb["data"]["embeds"]  # what Discord received
    text = visible_text(embeds)
    assert key in text[:KEY_LINE_WITHIN]
    assert len(text) <= FIRST_MESSAGE_BUDGET
    assert all(len(f["value"]) <= INLINE_VALUE_MAX for e in embeds for f in e.get("fields", []) if f.get("inline"))
