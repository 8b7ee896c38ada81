"""The pictures through the real discord.py client and the fake Discord: the file goes as a multipart upload,
the embed refers to it (`attachment://…`) and Discord's side resolves it; the text list stays; a second ask
is served from the cache; a slow render is deferred; a failed one leaves the text answer, logged."""

from __future__ import annotations

import io
import logging
import time

import pytest
from PIL import Image

from alliance_bot.discord_ui import pictures
from alliance_bot.present.pictures import timeline_image
from conftest import MANAGE_GUILD, BotEnv, eventually

CHANNEL_MESSAGE = 4
DEFERRED = 5


def _upload(fake, payload: dict):  # the multipart request that carried the picture
    return next(
        r
        for r in fake.requests
        if r.files and (f"/interactions/{payload['id']}/" in r.path or payload["token"] in r.path)
    )


async def _message(fake, payload: dict) -> dict:
    return await eventually(
        lambda: fake.original_message(payload) if (fake.original_message(payload) or {}).get("embeds") else None,
        what="the answer",
    )


async def test_timeline_picture_is_the_embeds_attachment(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == CHANNEL_MESSAGE, "a quick render is sent in the response itself"
    # what the bot sent: a multipart body whose payload_json refers to its file
    req = _upload(fake, payload)
    assert list(req.files) == ["timeline.png"]
    sent = req.json["data"]
    assert sent["embeds"][0]["image"] == {"url": "attachment://timeline.png"}
    (att,) = sent["attachments"]
    assert att["filename"] == "timeline.png"
    assert att["description"].startswith("Timeline picture of 8 events"), "alt text for screen readers"
    png = req.files["timeline.png"]
    # what Discord made of it: the embed shows the attachment, which is a PNG of its stated size
    message = await _message(fake, payload)
    (stored,) = message["attachments"]
    image = message["embeds"][0]["image"]
    assert image["url"] == stored["url"] and stored["content_type"] == "image/png"
    assert (image["width"], image["height"]) == Image.open(io.BytesIO(png)).size
    assert stored["description"] == att["description"]
    # the text list is still there
    assert "July 27, 1953" in message["embeds"][0]["description"]
    assert "Korean Armistice Agreement signed" in message["embeds"][0]["description"]


async def test_a_korean_client_gets_the_picture_in_korean(bot_env: BotEnv) -> None:
    """The reader's client language (interaction.locale, never the server's) picks the picture's labels."""
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}, locale="ko"))
    await fake.wait_for_callback(payload)
    (att,) = _upload(fake, payload).json["data"]["attachments"]
    assert att["description"].startswith("1950년 6월 25일부터 1954년 11월 17일까지 사건 8개의 연표 그림")
    english = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}, locale="en-US"))
    await fake.wait_for_callback(english)
    assert _upload(fake, english).json["data"]["attachments"][0]["description"].startswith("Timeline picture")


async def test_second_ask_is_served_from_the_cache(bot_env: BotEnv) -> None:
    fake, bot = bot_env.fake, bot_env.bot
    first = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    await fake.wait_for_callback(first)
    renders, hits = bot.pictures.renders, bot.pictures.cache.hits
    second = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    cb = await fake.wait_for_callback(second)
    assert cb["type"] == CHANNEL_MESSAGE
    assert bot.pictures.renders == renders, "no second render"
    assert bot.pictures.cache.hits == hits + 1
    assert _upload(fake, first).files == _upload(fake, second).files, "the same picture"
    # another tag is another picture
    third = await fake.send_interaction(fake.command("timeline", {"tag": "armistice"}))
    await fake.wait_for_callback(third)
    assert bot.pictures.renders == renders + 1


async def test_a_failed_render_leaves_the_text_answer(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated drawing bug")

    monkeypatch.setattr(timeline_image, "render_timeline_png", broken)
    caplog.set_level(logging.INFO)
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == CHANNEL_MESSAGE
    embed = cb["data"]["embeds"][0]
    assert "image" not in embed and not cb["data"].get("attachments")
    assert "Korean Armistice Agreement signed" in embed["description"], "the text answer, whole"
    assert any(
        "could not draw the timeline picture" in r.getMessage() and r.exc_info and r.levelno >= logging.ERROR
        for r in caplog.records
    )
    rows = await bot_env.usage_rows(1)
    assert rows[-1][1] == "timeline" and rows[-1][3] == "answered"


async def test_a_picture_over_the_upload_limit_is_left_out(bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pictures, "ATTACHMENT_MAX_BYTES", 1000)
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    cb = await fake.wait_for_callback(payload)
    assert "image" not in cb["data"]["embeds"][0] and "1953" in cb["data"]["embeds"][0]["description"]
    assert bot_env.bot.pictures.failures == 1


async def test_the_fake_refuses_an_upload_over_the_limit_as_discord_does(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    fake.upload_limit = 1000
    payload = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    refused = await fake.wait_for_request(lambda r: bool(r.files) and r.status == 413)
    assert refused.response["code"] == 40005
    # the bot sends the text answer again, without the file
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == CHANNEL_MESSAGE and "image" not in cb["data"]["embeds"][0]
    assert "July 27, 1953" in cb["data"]["embeds"][0]["description"]
    assert bot_env.bot.pictures.failures == 1


async def test_a_slow_render_is_deferred_then_sent(bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    real = timeline_image.render_timeline_png

    def slow(*args: object, **kwargs: object):
        time.sleep(0.5)  # in the render pool's thread: the event loop keeps going
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(timeline_image, "render_timeline_png", slow)
    monkeypatch.setattr(pictures, "INLINE_WAIT", 0.05)
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == DEFERRED
    message = await _message(fake, payload)
    assert message["embeds"][0]["image"]["url"] == message["attachments"][0]["url"]
    assert "July 27, 1953" in message["embeds"][0]["description"]


async def test_stats_chart_for_moderators(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    await bot_env.ask("fact", {"query": "qqqzzz xxyyq"})
    await bot_env.ask("today", {"date": "07-27"})
    await bot_env.usage_rows(2)
    payload = await fake.send_interaction(fake.command("stats", {"days": 7}, member_permissions=MANAGE_GUILD))
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == DEFERRED
    message = await _message(fake, payload)
    (att,) = message["attachments"]
    assert att["filename"] == "usage.png" and att["content_type"] == "image/png"
    assert att["description"].startswith("Usage charts of the last 7 days")
    assert message["embeds"][0]["image"]["url"] == att["url"]
    text = " ".join(f["name"] + " " + f["value"] for f in message["embeds"][0].get("fields", []))
    assert "Per command" in text and "qqqzzz xxyyq" in text, "the numbers and the to-do list stay"


async def test_without_attach_files_the_text_answer_goes_alone(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    no_files = str(int(fake.command("timeline")["app_permissions"]) & ~(1 << 15))  # ATTACH_FILES
    payload = await fake.send_interaction(
        fake.command("timeline", {"from": "1950", "to": "1954"}, app_permissions=no_files)
    )
    cb = await fake.wait_for_callback(payload)
    assert cb["type"] == CHANNEL_MESSAGE
    assert "image" not in cb["data"]["embeds"][0] and "July 27, 1953" in cb["data"]["embeds"][0]["description"]
    assert bot_env.bot.pictures.renders == 0, "not even drawn"


async def test_one_render_per_key_and_failures_are_not_cached() -> None:
    import threading

    from alliance_bot.present.pictures import Picture

    gate = threading.Event()
    calls = []

    def draw() -> Picture:
        calls.append(threading.current_thread().name)
        gate.wait(5)
        return Picture(b"\x89PNG", 1, 1, "alt", "a.png")

    p = pictures.Pictures()
    try:
        first, second = p.start("k", draw), p.start("k", draw)
        assert first is second, "a second ask while drawing waits for the same render"
        gate.set()
        picture = await first
        assert calls == [calls[0]] and calls[0].startswith("alliance-bot-render"), "once, in the pool"
        assert (await p.start("k", draw)) is picture and p.renders == 1, "then from the cache"

        def broken() -> Picture:
            raise RuntimeError("simulated")

        with pytest.raises(RuntimeError):
            await p.start("bad", broken)
        assert p.cached("bad") is None
        assert (await p.start("bad", draw)).filename == "a.png", "a failure is tried again next time"
    finally:
        p.close()


async def test_a_page_turn_keeps_the_picture_in_the_embed(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("timeline"))  # the whole range: two pages of text
    await fake.wait_for_callback(payload)
    message = await _message(fake, payload)
    assert message["embeds"][0]["footer"]["text"].startswith("Page 1/2")
    url = message["attachments"][0]["url"]
    assert message["embeds"][0]["image"]["url"] == url
    next_id = next(
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if c.get("custom_id", "").startswith("ab1:pg:") and c["custom_id"].endswith(":1")
    )
    click = await fake.send_interaction(
        fake.component(next_id, message_id=message["id"], user_id=payload["member"]["user"]["id"])
    )
    turned = await fake.wait_for_callback(click)
    assert turned["data"]["embeds"][0]["image"] == {"url": "attachment://timeline.png"}
    stored = fake.messages[int(message["id"])]
    assert stored["embeds"][0]["footer"]["text"].startswith("Page 2/2")
    assert stored["embeds"][0]["image"]["url"] == url and len(stored["attachments"]) == 1, "still the one file"


async def test_the_fake_refuses_alt_text_over_1024_characters(bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # the bot cuts the alt text to ATTACHMENT_DESCRIPTION_MAX; with the cut removed, the fake says what Discord says
    monkeypatch.setattr(pictures, "ATTACHMENT_DESCRIPTION_MAX", 5000)
    real = timeline_image.render_timeline_png

    def wordy(*args: object, **kwargs: object):
        import dataclasses

        return dataclasses.replace(real(*args, **kwargs), alt="x" * 1025)  # type: ignore[arg-type]

    monkeypatch.setattr(timeline_image, "render_timeline_png", wordy)
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("timeline", {"from": "1950", "to": "1954"}))
    await fake.wait_for_callback(payload)
    refused = await fake.wait_for_request(lambda r: bool(r.files) and r.status == 400)
    assert "attachments" in refused.response["errors"]
    cb = await fake.wait_for_callback(payload)
    assert "image" not in cb["data"]["embeds"][0], "then the text answer, without the file"
