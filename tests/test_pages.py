"""Page buttons and link menus: one expiry mechanism, buttons really removed, bounded memory whatever the traffic."""

from __future__ import annotations

import asyncio
import copy
import gc

import discord

from alliance_bot.discord_ui import send
from alliance_bot.present.limits import Rendered
from conftest import BotEnv, eventually

EPHEMERAL = 1 << 6


def custom_ids(message: dict) -> list[str]:
    return [
        c["custom_id"] for row in message.get("components", []) for c in row.get("components", []) if "custom_id" in c
    ]


def bot_tasks() -> list[asyncio.Task]:
    """Pending tasks running the bot's or discord.py's code (not the fake Discord's connection handlers)."""
    out = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and ("/alliance_bot/" in code.co_filename or "/discord/" in code.co_filename):
            out.append(task)
    return out


def live(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


async def paged_answer(env: BotEnv, source: str = "detrani-2025", **kwargs: object) -> tuple[dict, dict]:
    fake = env.fake
    payload = await fake.send_interaction(fake.command("source", {"source": source}, **kwargs))
    await fake.wait_for_callback(payload)
    message = copy.deepcopy(await eventually(lambda: fake.original_message(payload), what="the answer message"))
    assert custom_ids(message), "a paged answer has buttons"
    return payload, message


async def click(env: BotEnv, payload: dict, message: dict) -> dict:
    fake = env.fake
    next_id = next(c for c in custom_ids(message) if c.startswith("ab1:pg:") and c.endswith(":1"))
    p = await fake.send_interaction(
        fake.component(next_id, message_id=message["id"], user_id=payload["member"]["user"]["id"])
    )
    return await fake.wait_for_callback(p)


async def test_expired_buttons_are_removed_from_the_message(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    bot_env.bot.pages.timeout = 0.5
    payload, message = await paged_answer(bot_env)
    turned = await click(bot_env, payload, message)  # a page turn keeps the buttons (and the expiry)
    assert turned["type"] == 7 and turned["data"]["components"]
    # and an answer with a link menu
    treaty = await fake.send_interaction(fake.command("treaty", {"name": "mdt"}))
    await fake.wait_for_callback(treaty)
    menu_message = await eventually(lambda: fake.original_message(treaty), what="the treaty answer")
    assert custom_ids(menu_message)
    votes = [c for c in custom_ids(menu_message) if c.startswith("ab1:v:")]
    assert len(votes) == 2, "a treaty answer has the 👍/👎 pair"
    await eventually(
        lambda: (
            not fake.messages[int(message["id"])]["components"]
            and custom_ids(fake.messages[int(menu_message["id"])]) == votes
        ),
        timeout=5,
        what="the buttons to be removed",
    )
    # the page buttons and the menu are gone; the vote pair, which needs no memory, stays
    edits = {r.path.rsplit("/", 1)[-1]: r for r in fake.requests if r.method == "PATCH" and "/webhooks/" in r.path}
    assert len(edits) == 2 and all(r.ok for r in edits.values())
    assert edits[str(message["id"])].json["components"] == []
    assert len(bot_env.bot.pages) == 0
    # the embeds stay as they were
    assert fake.messages[int(message["id"])]["embeds"][0]["footer"]["text"].startswith("Page 2/")
    # a click that raced the removal gets "expired", not Discord's "interaction failed"
    late = await click(bot_env, payload, message)
    assert late["data"]["flags"] & EPHEMERAL and "expired" in str(late)


async def test_the_oldest_entries_are_evicted_past_the_cap(bot_env: BotEnv) -> None:
    bot_env.bot.pages.max_entries = 2
    first = await paged_answer(bot_env)
    for _ in range(2):
        await paged_answer(bot_env)
    assert len(bot_env.bot.pages) == 2
    cb = await click(bot_env, *first)
    assert cb["data"]["flags"] & EPHEMERAL and "expired" in str(cb)


async def test_answers_keep_no_interaction_task_or_view(bot_env: BotEnv) -> None:
    # 60 answers with buttons, each kept for 10 minutes: what stays is one small entry each, no Interaction
    # object, no task per answer, and no View in discord.py's view store
    fake = bot_env.fake
    tasks_before = len(bot_tasks())
    payloads = []
    for i in range(60):
        p = fake.command("source", {"source": "detrani-2025"}) if i % 2 else fake.command("treaty", {"name": "mdt"})
        payloads.append(await fake.send_interaction(p))
    for p in payloads:
        await fake.wait_for_callback(p)
    await bot_env.usage_rows(60)
    assert len(bot_env.bot.pages) == 60
    await eventually(lambda: live(discord.Interaction) == 0, what="no Interaction kept")
    assert live(discord.ui.View) == 0
    assert bot_env.bot._connection._view_store.persistent_views == []
    assert len(bot_tasks()) == tasks_before  # the one expiry sweeper was there already


def test_page_store_expiry_and_cap() -> None:
    now = [100.0]
    store = send.PageStore(timeout=10, max_entries=3, clock=lambda: now[0])
    rendered = Rendered([[{"title": "x"}], [{"title": "y"}]])
    tokens = []
    for _i in range(4):
        tokens.append(store.add(send.PageEntry(1, rendered, "source")))
        now[0] += 1
    assert store.get(tokens[0]) is None and store.evicted == 1  # the oldest went first
    assert store.next_expiry() == 111.0
    assert store.pop_expired() == []
    now[0] = 111.0
    assert [store.get(t) is None for t in tokens[1:]] == [True, False, False]  # expired at its deadline exactly
    assert len(store.pop_expired()) == 1 and len(store) == 2


def test_page_store_bounds_the_bytes_kept() -> None:
    pages = [
        [{"title": f"page {i}", "description": "".join(chr(0x4E00 + (i * 7919 + j) % 20000) for j in range(3000))}]
        for i in range(4)
    ]
    entry = send.PageEntry(1, Rendered(pages), "source")
    assert entry.embeds(3) == pages[3] and entry.page_count == 4
    store = send.PageStore(max_bytes=entry.size * 3)
    tokens = [store.add(send.PageEntry(1, Rendered(pages), "source")) for _ in range(5)]
    assert len(store) == 3 and store.evicted == 2
    assert [store.get(t) is None for t in tokens] == [True, True, False, False, False]


def rows(message: dict) -> list[list[dict]]:
    return [row["components"] for row in message.get("components", [])]


async def test_page_buttons_first_last_and_sources_leave_rows_free(bot_env: BotEnv) -> None:
    # a source card of eight pages: ⏮ ◀ ▶ ⏭ on row 0, no counter button (it is in the footer), the kind menu on
    # row 1, and rows 2 to 4 free for what other modules add
    fake = bot_env.fake
    payload, message = await paged_answer(bot_env, "oh-alliance-history")
    assert len(rows(message)) == 2
    buttons = rows(message)[0]
    assert [b["emoji"]["name"] for b in buttons] == ["⏮️", "◀️", "▶️", "⏭️"]
    assert [b.get("disabled", False) for b in buttons] == [True, True, False, False]
    assert len(set(custom_ids(message))) == len(custom_ids(message))
    assert message["embeds"][0]["footer"]["text"].startswith("Page 1/8 · ")
    menu = rows(message)[1][0]
    assert menu["type"] == 3 and menu["placeholder"] == "Open its quotes by kind…"
    last = next(b["custom_id"] for b in buttons if b["emoji"]["name"] == "⏭️")
    p = await fake.send_interaction(
        fake.component(last, message_id=message["id"], user_id=payload["member"]["user"]["id"])
    )
    turned = await fake.wait_for_callback(p)
    assert turned["data"]["embeds"][0]["footer"]["text"].startswith("Page 8/8 · ")
    ids = [c["custom_id"] for c in turned["data"]["components"][0]["components"]]
    assert len(set(ids)) == len(ids)  # ◀ and ⏮ never share an id
    # the kind menu opens that kind's quotes, for anyone, only to them
    facts = next(o for o in menu["options"] if o["label"].endswith("facts"))
    p = await fake.send_interaction(
        fake.component(menu["custom_id"], message_id=message["id"], component_type=3, values=[facts["value"]])
    )
    shown = await fake.wait_for_callback(p)
    assert shown["data"]["flags"] & EPHEMERAL and shown["data"]["embeds"][0]["title"].startswith("56 facts citing")


async def test_three_pages_or_fewer_have_no_first_and_last(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("treaty", {"name": "mdt"}))
    await fake.wait_for_callback(payload)
    message = await eventually(lambda: fake.original_message(payload), what="the treaty answer")
    row0 = rows(message)[0]
    assert [b.get("label") for b in row0] == ["Previous", "Next", "Sources"]
    sources = row0[2]["custom_id"]
    assert sources.startswith("ab1:src:") and send.parse_custom_id(sources) == ("src", sources.split(":")[2], None)
    p = await fake.send_interaction(fake.component(sources, message_id=message["id"], user_id=fake.add_user()))
    shown = await fake.wait_for_callback(p)
    assert shown["data"]["flags"] & EPHEMERAL
    text = str(shown["data"]["embeds"])
    assert "US-Korea Military Alliance · Daniel Oh · undated" in text and text.count("> “") == 8


def test_other_modules_add_rows_below() -> None:
    rendered = Rendered([[{"title": "x"}], [{"title": "y"}]], sources=[[{"title": "s"}]])
    vote = discord.ui.Button(label="👍", custom_id="ab1:vote:x", row=2)
    view = send.components_for(rendered, "TOKEN", 0, extra=[vote])
    assert view is not None
    assert [(c.row, c.custom_id) for c in view.children] == [  # type: ignore[attr-defined]
        (0, "ab1:pg:TOKEN:-1"),
        (0, "ab1:pg:TOKEN:1"),
        (0, "ab1:src:TOKEN"),
        (2, "ab1:vote:x"),
    ]
