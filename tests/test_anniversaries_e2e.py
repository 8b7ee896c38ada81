"""Anniversary posts end to end: the moderator commands and the scheduled posts through the fake Discord,
and the cron command through a local webhook server (reached through a transport the test injects: the URLs
are real https Discord ones, as the code accepts no other)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from alliance_bot.anniversaries.ledger import ServerSchedule
from alliance_bot.cli import post_anniversaries
from alliance_bot.library import ContentStore
from alliance_bot.settings import Settings
from conftest import CONTENT, MANAGE_GUILD, MEMBER_PERMISSIONS, BotEnv, eventually

EPHEMERAL = 1 << 6
UTC = dt.UTC


def text_of(message: dict) -> str:
    parts = [message.get("content") or ""]
    for e in message.get("embeds", []):
        parts += [e.get("title", ""), e.get("description", "")]
        parts += [f["name"] + " " + f["value"] for f in e.get("fields", [])]
    return " ".join(parts)


def channel_posts(env: BotEnv, channel_id: int) -> list:
    return [
        r for r in env.fake.requests if r.method == "POST" and r.path == f"/channels/{channel_id}/messages" and r.ok
    ]


async def test_set_show_preview_off(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    cb = await bot_env.ask(
        "anniversaries",
        {"channel": fake.channel_id, "time": "09:00", "timezone": "Asia/Seoul"},
        subcommand="set",
        member_permissions=MANAGE_GUILD,
    )
    assert cb["data"]["flags"] & EPHEMERAL
    text = text_of(cb["data"])
    assert "Posts are **on**" in text and "09:00 Asia/Seoul" in text and "Next posts" in text
    schedule = await bot_env.anniversaries.get(fake.guild_id)
    assert schedule.channel_id == fake.channel_id and schedule.post_time == dt.time(9, 0)
    preview = await bot_env.ask(
        "anniversaries", {"date": "07-27"}, subcommand="preview", member_permissions=MANAGE_GUILD
    )
    assert preview["data"]["flags"] & EPHEMERAL and "73rd anniversary" in text_of(preview["data"])
    assert "preview" in preview["data"]["content"]
    nothing = await bot_env.ask(
        "anniversaries", {"date": "01-02"}, subcommand="preview", member_permissions=MANAGE_GUILD
    )
    assert "nothing would be posted" in text_of(nothing["data"])
    off = await bot_env.ask("anniversaries", subcommand="off", member_permissions=MANAGE_GUILD)
    assert "off" in text_of(off["data"])
    assert not (await bot_env.anniversaries.get(fake.guild_id)).enabled


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time": "25:00", "timezone": "Asia/Seoul"}, "not a time of day"),
        ({"time": "9am", "timezone": "Asia/Seoul"}, "HH:MM"),
        ({"time": "09:00", "timezone": "Mars/Olympus"}, "Unknown time zone"),  # a sentence
        ({"time": "09:00", "timezone": "Asia/Seoul", "webhook": "http://example.com/api/webhooks/1/x"}, "https"),
        (
            {
                "time": "09:00",
                "timezone": "Asia/Seoul",
                "webhook": "http://127.0.0.1:6379/api/webhooks/123456/" + "t" * 40,
            },
            "must use https",
        ),
        (
            {
                "time": "09:00",
                "timezone": "Asia/Seoul",
                "webhook": "https://discord.com:abc/api/webhooks/123456/" + "t" * 40,
            },
            "no port",
        ),
        (
            {"time": "09:00", "timezone": "Asia/Seoul", "webhook": "https://[::1/api/webhooks/123456/" + "t" * 40},
            "no port",
        ),
        (
            {
                "time": "09:00",
                "timezone": "Asia/Seoul",
                "webhook": "https://evil.example＃@discord.com/api/webhooks/123456/" + "t" * 40,
            },
            "plain ASCII",
        ),
    ],
)
async def test_bad_settings_are_refused_clearly(bot_env: BotEnv, options: dict, message: str) -> None:
    cb = await bot_env.ask("anniversaries", options, subcommand="set", member_permissions=MANAGE_GUILD)
    assert cb["data"]["flags"] & EPHEMERAL and message in text_of(cb["data"])
    assert cb["data"]["embeds"][0]["title"] == "Settings not saved"  # its own title, and the next step
    assert "again with that option fixed" in text_of(cb["data"])
    assert await bot_env.anniversaries.get(bot_env.fake.guild_id) is None


async def test_members_cannot_change_the_settings(bot_env: BotEnv) -> None:
    cb = await bot_env.ask("anniversaries", {"time": "09:00"}, subcommand="set", member_permissions=MEMBER_PERMISSIONS)
    assert "for moderators" in text_of(cb["data"])
    assert await bot_env.anniversaries.get(bot_env.fake.guild_id) is None


async def test_timezone_autocomplete(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    p = await fake.send_interaction(
        fake.autocomplete("anniversaries", "timezone", "seoul", subcommand="set", other_options={"time": "09:00"})
    )
    cb = await fake.wait_for_callback(p)
    assert [c["value"] for c in cb["data"]["choices"]] == ["Asia/Seoul"]


async def test_scheduled_post_reaches_the_channel_once(bot_env: BotEnv) -> None:
    fake, sched, clock = bot_env.fake, bot_env.scheduler, bot_env.clock
    role = await fake.add_role("History fans")
    await bot_env.anniversaries.save(
        ServerSchedule(fake.guild_id, dt.time(9, 0), "Asia/Seoul", channel_id=fake.channel_id, role_id=role)
    )
    clock.now = dt.datetime(2026, 7, 26, 23, 59, tzinfo=UTC)
    await sched.startup()
    await sched.tick()
    await sched.drain()
    assert channel_posts(bot_env, fake.channel_id) == []
    clock.now = dt.datetime(2026, 7, 27, 0, 0, 5, tzinfo=UTC)  # 09:00:05 in Seoul
    await sched.tick()
    await sched.drain()
    posts = channel_posts(bot_env, fake.channel_id)
    assert len(posts) == 1
    body = posts[0].json
    assert "Korean Armistice Agreement" in text_of(body) and "73rd anniversary" in text_of(body)
    assert body["content"].startswith(f"<@&{role}>")
    assert body["allowed_mentions"]["parse"] == [] and [str(r) for r in body["allowed_mentions"]["roles"]] == [
        str(role)
    ]
    assert body["nonce"] and body["enforce_nonce"] is True
    # a gateway reconnect (on_ready again) and a second start-up make no second post
    await fake.gateway_invalid_session(resumable=False)
    await eventually(lambda: fake.identify_count >= 2, 15, "a new IDENTIFY")
    await eventually(lambda: bot_env.bot.ready_count >= 2, 10, "on_ready again")
    await sched.startup()
    clock.now += dt.timedelta(minutes=30)
    await sched.tick()
    await sched.drain()
    assert len(channel_posts(bot_env, fake.channel_id)) == 1
    show = await bot_env.ask("anniversaries", subcommand="show", member_permissions=MANAGE_GUILD)
    assert "armistice-signed" in text_of(show["data"]) and "sent" in text_of(show["data"])


async def test_a_forbidden_channel_is_recorded_and_others_still_post(bot_env: BotEnv) -> None:
    fake, sched, clock = bot_env.fake, bot_env.scheduler, bot_env.clock
    deleted_channel = fake.channel_id + 999
    await bot_env.anniversaries.save(
        ServerSchedule(fake.guild_id, dt.time(9, 0), "Asia/Seoul", channel_id=fake.channel_id)
    )
    await bot_env.anniversaries.save(ServerSchedule(4242, dt.time(9, 0), "Asia/Seoul", channel_id=deleted_channel))
    fake.fail_next(
        "POST", rf"^/channels/{fake.channel_id}/messages$", 403, json={"message": "Missing Permissions", "code": 50013}
    )
    clock.now = dt.datetime(2026, 7, 27, 0, 0, 5, tzinfo=UTC)
    await sched.startup()
    await sched.tick()
    await sched.drain()
    first = (await bot_env.anniversaries.recent(fake.guild_id))[0]
    assert first.status == "failed" and "may not post" in first.error
    other = (await bot_env.anniversaries.recent(4242))[0]
    assert other.status == "failed" and "not found" in other.error
    # the loop lives on: the next anniversary posts normally
    clock.now = dt.datetime(2026, 10, 1, 0, 0, 5, tzinfo=UTC)
    await sched.tick()
    await sched.drain()
    posts = channel_posts(bot_env, fake.channel_id)
    assert len(posts) == 1 and "Mutual Defense Treaty" in text_of(posts[0].json)


async def test_discord_5xx_is_retried_and_posted_once(bot_env: BotEnv) -> None:
    fake, sched, clock = bot_env.fake, bot_env.scheduler, bot_env.clock
    await bot_env.anniversaries.save(
        ServerSchedule(fake.guild_id, dt.time(9, 0), "Asia/Seoul", channel_id=fake.channel_id)
    )
    fake.fail_next("POST", rf"^/channels/{fake.channel_id}/messages$", 503, times=1)
    clock.now = dt.datetime(2026, 7, 27, 0, 0, 5, tzinfo=UTC)
    await sched.startup()
    await sched.tick()
    await sched.drain()
    assert len(channel_posts(bot_env, fake.channel_id)) == 1
    assert (await bot_env.anniversaries.recent(fake.guild_id))[0].status == "sent"


async def test_scheduler_is_started_once_per_process_not_by_on_ready(bot_env: BotEnv) -> None:
    from alliance_bot.discord_ui.cogs.anniversaries import AnniversariesCog

    sched = bot_env.scheduler
    starts = []
    original = sched.startup

    async def counting() -> None:
        starts.append(1)
        await original()

    sched.startup = counting  # type: ignore[method-assign]
    cog = AnniversariesCog(bot_env.bot, bot_env.anniversaries, sched, start_scheduler=True)
    await cog.cog_load()
    await eventually(lambda: starts, 5, "the scheduler to start")
    await bot_env.fake.gateway_close(4000)
    await bot_env.fake.wait_for_resumed(1)
    await bot_env.fake.gateway_invalid_session(resumable=False)
    await eventually(lambda: bot_env.bot.ready_count >= 2, 15, "on_ready again")
    await asyncio.sleep(0.2)
    assert starts == [1]
    with pytest.raises(RuntimeError, match="already running"):
        await sched.run_forever()
    await cog.cog_unload()


# ---------------------------------------------------------------- cron: alliance-bot anniversaries post


class LocalWebhookTransport(httpx.AsyncBaseTransport):
    """Test only: whatever the URL (https://discord.com/…), the request goes to the local server on `port`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


HOOK_URL = "https://discord.com/api/webhooks/123456789/" + "t" * 40


@pytest.fixture
async def webhook_server():
    received: list[dict] = []
    script: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        status = script.pop(0) if script else 200
        if status == 429:
            return web.json_response({"message": "rate limited", "retry_after": 0.05}, status=429)
        if status != 200:
            return web.json_response({"message": "error"}, status=status)
        received.append(body)
        return web.json_response({"id": str(1000 + len(received))})

    app = web.Application()
    app.router.add_post("/api/webhooks/{wid}/{token}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield HOOK_URL, received, script, LocalWebhookTransport(port)
    finally:
        await runner.cleanup()


async def test_cron_post_through_a_webhook_once(tmp_path: Path, webhook_server, capsys) -> None:
    url, received, script, transport = webhook_server
    store = ContentStore(CONTENT)
    assert store.load().ok
    settings = Settings(db=tmp_path / "bot.db", content_dir=CONTENT)

    async def post(date: str, **kw: bool) -> int:
        return await post_anniversaries(settings, store, url, date, transport=transport, **kw)

    script.extend([429, 500])  # a rate limit and a server error first: retried
    assert await post("2026-07-27") == 0
    assert len(received) == 1 and "73rd anniversary" in json.dumps(received[0])
    out = capsys.readouterr().out
    assert "posted 1 anniversary" in out and "t" * 40 not in out  # the token is never printed
    # the same day again (cron twice, or the bot on the same webhook): nothing sent
    assert await post("2026-07-27") == 0
    assert len(received) == 1 and "is already sent" in capsys.readouterr().out
    # a gone webhook: failure recorded, clear message, non-zero exit; a later run (fixed webhook) retries it
    script.append(404)
    assert await post("2026-10-01") == 1
    assert "deleted" in capsys.readouterr().err
    assert await post("2026-10-01") == 0
    assert len(received) == 2 and "Mutual Defense Treaty" in json.dumps(received[1])
    # dry run: printed, not sent, not recorded
    assert await post("2026-06-25", dry_run=True) == 0
    assert len(received) == 2
    assert await post("2026-06-25") == 0
    assert len(received) == 3


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/api/webhooks/123456789/" + "t" * 40,
        "https://discord.com:abc/api/webhooks/123456789/" + "t" * 40,
        "https://discord.com/api/webhooks/123456789/" + "t" * 20 + "\t" + "t" * 20,
        "https://[zz]/api/webhooks/123456789/" + "t" * 40,
    ],
)
async def test_cron_refuses_a_webhook_that_is_not_discord(tmp_path: Path, url: str, capsys) -> None:
    store = ContentStore(CONTENT)
    assert store.load().ok
    settings = Settings(db=tmp_path / "bot.db", content_dir=CONTENT)
    assert await post_anniversaries(settings, store, url, "2026-07-27") == 2
    err = capsys.readouterr().err
    assert err.startswith("alliance-bot: --webhook: ") and err.count("\n") == 1 and "t" * 40 not in err
    assert not settings.db.exists()  # nothing claimed: nothing to be lost


async def test_cron_an_error_after_the_claim_is_recorded_and_a_later_run_posts(
    tmp_path: Path, webhook_server, capsys
) -> None:
    """Whatever fails once the rows are claimed (here the HTTP client itself), the post is not lost for good."""
    url, received, _, transport = webhook_server

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.InvalidURL("Invalid port: 'abc'")

    store = ContentStore(CONTENT)
    assert store.load().ok
    settings = Settings(db=tmp_path / "bot.db", content_dir=CONTENT)
    assert await post_anniversaries(settings, store, url, "2026-07-27", transport=httpx.MockTransport(broken)) == 1
    err = capsys.readouterr().err
    assert "failed" in err and "InvalidURL" in err and "Traceback" not in err and "t" * 40 not in err
    assert await post_anniversaries(settings, store, url, "2026-07-27", transport=transport) == 0
    assert len(received) == 1 and "posted 1 anniversary" in capsys.readouterr().out


# ---------------------------------------------------------------- secrets and the usage log

SECRET_TOKEN = "s" * 60
SECRET_HOOK = f"https://discord.com/api/webhooks/123456789/{SECRET_TOKEN}"


async def test_webhook_tokens_never_reach_the_usage_log(bot_env: BotEnv, monkeypatch) -> None:
    """On every path that records a row (answered, refused, invalid input, an internal error, autocomplete while the
    webhook is typed), the webhook option is stored as [secret]; the other options are kept."""
    from alliance_bot.storage.usage import export_csv

    fake = bot_env.fake
    setting = {"time": "09:00", "timezone": "Asia/Seoul", "webhook": SECRET_HOOK}
    await bot_env.ask("anniversaries", setting, subcommand="set", member_permissions=MANAGE_GUILD)
    await bot_env.ask("anniversaries", setting, subcommand="set", member_permissions=MEMBER_PERMISSIONS)
    await bot_env.ask("anniversaries", {**setting, "time": "25:00"}, subcommand="set", member_permissions=MANAGE_GUILD)

    async def broken(schedule: ServerSchedule) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot_env.anniversaries, "save", broken)
    cb = await bot_env.ask("anniversaries", setting, subcommand="set", member_permissions=MANAGE_GUILD)
    assert "Error id" in text_of(cb["data"])
    p = await fake.send_interaction(
        fake.autocomplete(
            "anniversaries",
            "timezone",
            "seoul",
            subcommand="set",
            other_options={"time": "09:00", "webhook": SECRET_HOOK},
        )
    )
    await fake.wait_for_callback(p)
    rows = await bot_env.usage_rows(5)
    assert sorted((r[0], r[3]) for r in rows) == [
        ("autocomplete", "answered"),
        ("command", "answered"),
        ("command", "error"),
        ("command", "invalid_input"),
        ("command", "refused"),
    ]
    for _kind, command, options, *_ in rows:
        assert command == "anniversaries set" and SECRET_TOKEN not in options
        assert json.loads(options)["webhook"] == "[secret]" and json.loads(options)["time"] in ("09:00", "25:00")
    assert SECRET_TOKEN not in await export_csv(bot_env.db, 90)


def test_a_secret_option_must_name_a_real_option() -> None:
    """The declaration is checked when the command is defined: a misspelt name cannot silently leave a secret
    in clear."""
    from discord import app_commands

    from alliance_bot.discord_ui.recording import secret_options

    async def callback(interaction, webhook: str) -> None:
        pass

    command = app_commands.Command(name="x", description="x", callback=callback)
    assert secret_options("webhook")(command).extras["secret_options"] == frozenset({"webhook"})
    with pytest.raises(TypeError, match="webhok"):
        secret_options("webhok")(app_commands.Command(name="y", description="y", callback=callback))


def test_a_webhook_url_typed_anywhere_is_scrubbed_from_the_options() -> None:
    """A second line behind the declared secrets: a webhook URL pasted into any option (a /fact query) loses its
    token too."""
    from alliance_bot.storage.usage import options_json

    text = options_json({"query": f"why {SECRET_HOOK} ?"})
    assert SECRET_TOKEN not in text and "123456789" in text


async def test_the_migration_scrubs_webhook_tokens_already_in_the_usage_log(tmp_path: Path) -> None:
    from alliance_bot.storage.db import Database

    path = tmp_path / "bot.db"
    db = await Database.open(path, lock=False)
    clear = json.dumps({"time": "09:00", "webhook": SECRET_HOOK})
    cut = clear[:-4] + "…"  # truncated at the length limit: not valid JSON any more
    typed = json.dumps({"query": SECRET_HOOK})
    for command, options in (
        ("anniversaries set", clear),
        ("anniversaries set", cut),
        ("fact", typed),
        ("fact", json.dumps({"query": "treaty"})),
    ):
        await db.execute(
            "INSERT INTO usage (ts, kind, command, options, outcome) VALUES (0, 'command', ?, ?, 'answered')",
            (command, options),
        )
    await db.execute("PRAGMA user_version = 3")  # as the version before the scrub left it
    await db.close()
    db = await Database.open(path, lock=False)
    stored = [r[0] for r in await db.fetchall("SELECT options FROM usage ORDER BY id")]
    await db.close()
    assert all(SECRET_TOKEN not in s for s in stored)
    assert json.loads(stored[0]) == {"time": "09:00", "webhook": "[secret]"}
    assert '"webhook": "[secret]' in stored[1] and "123456789" in stored[2]
    assert json.loads(stored[3]) == {"query": "treaty"}
