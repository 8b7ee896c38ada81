"""/today on Discord (#16), end to end through the fake Discord with the real discord.py client: the compact
first message, an event's card one pick away in the menu (only to the one who picks), the posts' wording only
on the day itself (the bot's clock, set by the test), and the anniversary preview across the year boundary."""

from __future__ import annotations

import datetime as dt

from conftest import MANAGE_GUILD, BotEnv, eventually

EPHEMERAL = 1 << 6


def visible(message: dict) -> str:
    parts = []
    for e in message.get("embeds", []):
        parts += [e.get("title", ""), e.get("description", "")]
        parts += [f["name"] + "\n" + f["value"] for f in e.get("fields", [])]
        parts.append(e.get("footer", {}).get("text", ""))
    return "\n".join(parts)


async def pick(env: BotEnv, name: str, options: dict | None, label_start: str) -> tuple[dict, dict]:
    """Ask a command, pick the menu option whose label starts so; the answer message and the pick's callback."""
    fake = env.fake
    payload = await fake.send_interaction(fake.command(name, options))
    await fake.wait_for_callback(payload)
    message = await eventually(lambda: fake.original_message(payload), what="the answer message")
    menu = next(c for row in message["components"] for c in row["components"] if c["type"] == 3)
    option = next(o for o in menu["options"] if o["label"].startswith(label_start))
    click = await fake.send_interaction(
        fake.component(
            menu["custom_id"],
            message_id=message["id"],
            component_type=3,
            values=[option["value"]],
            user_id=fake.add_user(),
        )
    )
    return message, await fake.wait_for_callback(click)


async def test_today_is_compact_and_an_event_card_is_one_pick_away(bot_env: BotEnv) -> None:
    bot_env.clock.now = dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC)  # noon in Seoul
    message, card = await pick(bot_env, "today", {"date": "07-27"}, "1953 · Korean Armistice")
    shown = visible(message)
    assert len(shown) <= 1500 and "73rd anniversary" in shown[:300]
    assert "Today is" not in shown and "Sources" not in shown  # the details are on the card
    assert card["data"]["flags"] & EPHEMERAL
    embed = card["data"]["embeds"][0]
    assert embed["title"] == "Korean Armistice Agreement signed, halting the fighting of the Korean War"
    assert embed["description"].startswith("**July 27, 1953** · 73rd anniversary on July 27, 2026")
    assert "Today is" not in visible(card["data"])  # July 27 is not today
    assert "\n> “" in embed["description"]  # one quote; every quote behind the Sources button
    buttons = [c for row in card["data"]["components"] for c in row["components"] if c["type"] == 2]
    assert any(b["label"].endswith("Sources") and b["custom_id"].startswith("ab1:src:") for b in buttons)
    rows = await bot_env.usage_rows(2)
    assert [(r[1], r[3]) for r in rows if r[1].startswith("link")] == [("link event", "answered")]


async def test_on_the_day_itself_the_card_has_the_post_wording(bot_env: BotEnv) -> None:
    bot_env.clock.now = dt.datetime(2026, 7, 27, 0, 30, tzinfo=dt.UTC)  # 09:30 on July 27 in Seoul
    message, card = await pick(bot_env, "today", None, "1953 · Korean Armistice")
    assert message["embeds"][0]["title"] == "On this day: July 27"
    assert "73rd anniversary today" in visible(message)
    assert "Today is its 73rd anniversary" in visible(card["data"])
    assert "73rd anniversary today" in card["data"]["embeds"][0]["description"]


async def test_an_empty_day_says_the_digest_has_none_and_the_next_anniversary_is_next_years(
    bot_env: BotEnv,
) -> None:
    bot_env.clock.now = dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC)
    message, nearest = await pick(bot_env, "today", None, "Nearest: January 21, 2027")
    shown = visible(message)
    assert "The digest has no event on December 4." in shown
    assert "59th anniversary in 2027" in shown and "58th" not in shown
    assert "59th anniversary" in visible(nearest["data"])  # the day opened is 2027's January 21
    preview = await bot_env.ask(
        "anniversaries", {"date": "01-21"}, subcommand="preview", member_permissions=MANAGE_GUILD
    )
    assert "59th anniversary" in visible(preview["data"])  # the next post, in 2027
