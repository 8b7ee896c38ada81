"""End-to-end checks of tests/fakediscord.py against the real discord.py client."""

from __future__ import annotations

import asyncio
import gc
import io
import threading
import time
from typing import Any

import discord
import pytest
from discord import app_commands

from conftest import eventually

try:
    from fakediscord import FakeDiscord, disable_identify_delay
except ImportError:  # pragma: no cover - if tests/ becomes a package
    from tests.fakediscord import FakeDiscord, disable_identify_delay

TOKEN = "MTA.fake.token"
CALLBACK_RE = r"^/interactions/\d+/[^/]+/callback$"
FRUITS = ["apple", "apricot", "banana", "cherry"]


class DemoView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="OK", custom_id="demo:ok", style=discord.ButtonStyle.primary)
    async def ok(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content=f"clicked by {interaction.user.id}", view=None)


class Bot:
    """A discord.Client + CommandTree with a few commands, run against the fake."""

    def __init__(self, **client_kwargs: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        client_kwargs.setdefault("guild_ready_timeout", 0.05)
        self.client = discord.Client(intents=intents, **client_kwargs)
        disable_identify_delay(self.client)  # discord.py otherwise sleeps 5 s before re-IDENTIFY
        self.tree = app_commands.CommandTree(self.client)
        self.ready_count = 0
        self.resumed_count = 0
        self.errors: list[BaseException] = []
        self._ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

        @self.client.event
        async def on_ready() -> None:
            self.ready_count += 1
            self._ready.set()

        @self.client.event
        async def on_resumed() -> None:
            self.resumed_count += 1

        @self.tree.error
        async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
            self.errors.append(error)

        @self.tree.command(description="Replies pong")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

        @self.tree.command(description="Echo text")
        @app_commands.describe(text="What to echo")
        async def echo(interaction: discord.Interaction, text: str, times: int = 1) -> None:
            await interaction.response.send_message(" ".join([text] * times))

        @echo.autocomplete("text")
        async def echo_auto(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=f, value=f) for f in FRUITS if f.startswith(current)]

        @self.tree.command(description="Shows a button")
        async def buttons(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pick one", view=DemoView())

        @self.tree.command(description="Deferred reply")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done")
            await interaction.edit_original_response(content="done!")
            await interaction.followup.send("extra", ephemeral=True)

        @self.tree.command(description="Too long")
        async def toolong(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("x" * 2001)

        admin = app_commands.Group(name="admin", description="Admin tools")

        @admin.command(description="Say something")
        async def say(interaction: discord.Interaction, text: str) -> None:
            perms = interaction.permissions.administrator
            await interaction.response.send_message(f"{text} (admin={perms})", ephemeral=True)

        self.tree.add_command(admin)

    async def start(self) -> Bot:
        self.task = asyncio.create_task(self.client.start(TOKEN))
        waiter = asyncio.ensure_future(self._ready.wait())
        try:
            done, _ = await asyncio.wait({self.task, waiter}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if self.task in done:
            self.task.result()  # re-raise the startup failure
        assert self._ready.is_set(), "client did not become ready"
        return self

    async def close(self) -> None:
        await self.client.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def fake():
    async with FakeDiscord() as fake:
        with fake.patch_discord():
            yield fake


@pytest.fixture
async def bot(fake):
    b = Bot()
    await b.start()
    try:
        yield b
    finally:
        await b.close()


async def run_ping(fake: FakeDiscord) -> dict:
    payload = await fake.send_interaction(fake.command("ping"))
    body = await fake.wait_for_callback(payload)
    assert body["type"] == 4 and body["data"]["content"] == "pong"
    return payload


# --------------------------------------------------------------------------- (a) login / ready


async def test_client_logs_in_and_becomes_ready(fake, bot):
    client = bot.client
    assert client.user is not None and client.user.id == fake.bot_user_id
    assert client.application_id == fake.application_id
    guild = client.get_guild(fake.guild_id)
    assert guild is not None and guild.name == "Fake Guild"
    assert guild.get_channel(fake.channel_id).name == "general"
    assert guild.me is not None and guild.me.id == fake.bot_user_id

    paths = [(r.method, r.path) for r in fake.requests]
    assert ("GET", "/users/@me") in paths and ("GET", "/oauth2/applications/@me") in paths
    assert all(r.headers.get("authorization") == f"Bot {TOKEN}" for r in fake.requests)
    assert fake.identify_count == 1 and fake.identify_payloads[0]["intents"] == discord.Intents(guilds=True).value
    conn = fake.gateway_connections[0]
    assert conn["path"] == "/gateway"
    assert conn["query"]["v"] == "10" and conn["query"]["encoding"] == "json"
    assert conn["query"]["compress"] in ("zlib-stream", "zstd-stream")
    await fake.wait_for_heartbeats(1, timeout=5)
    assert fake.unknown_requests == []


# --------------------------------------------------------------------------- (b) slash commands


async def test_ping_slash_command(fake, bot):
    payload = await run_ping(fake)
    req = fake.callback_requests(payload)
    assert len(req) == 1 and req[0].query.get("with_response") == "1" and req[0].status == 200
    # discord.py parsed the callback response: the original message is known to the fake
    assert fake.original_message(payload)["content"] == "pong"
    assert req[0].response["interaction"]["response_message_id"] == fake.original_message(payload)["id"]
    assert bot.errors == []


async def test_subcommand_options_and_permissions(fake, bot):
    p = await fake.send_interaction(fake.command("admin", {"text": "hello"}, subcommand="say"))
    body = await fake.wait_for_callback(p)
    assert body["data"]["content"] == "hello (admin=True)" and body["data"]["flags"] == 64

    p = await fake.send_interaction(fake.command("admin", {"text": "hi"}, subcommand="say", member_permissions="0"))
    assert (await fake.wait_for_callback(p))["data"]["content"] == "hi (admin=False)"
    assert p["data"]["options"] == [{"type": 1, "name": "say", "options": [{"name": "text", "value": "hi", "type": 3}]}]

    p = await fake.send_interaction(fake.command("echo", {"text": "ab", "times": 3}))
    assert (await fake.wait_for_callback(p))["data"]["content"] == "ab ab ab"
    assert bot.errors == []


# --------------------------------------------------------------------------- (c) autocomplete


async def test_autocomplete_round_trip(fake, bot):
    p = await fake.send_interaction(fake.autocomplete("echo", "text", "ap", {"times": 2}))
    assert p["type"] == 4 and p["data"]["options"][-1] == {"type": 3, "name": "text", "value": "ap", "focused": True}
    body = await fake.wait_for_callback(p)
    assert body == {
        "type": 8,
        "data": {"choices": [{"name": "apple", "value": "apple"}, {"name": "apricot", "value": "apricot"}]},
    }


async def test_a_message_reply_to_autocomplete_is_rejected_like_discord(fake, bot):
    import aiohttp

    p = await fake.send_interaction(fake.autocomplete("gone", "text", "ap"))  # no such command: the tree is silent
    await eventually(lambda: bot.errors, what="tree error")
    url = f"{fake.base_url}/interactions/{p['id']}/{p['token']}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 4, "data": {"content": "x"}}) as resp:
            assert resp.status == 400
            assert "INTERACTION_RESPONSE_TYPE_INVALID" in await resp.text()
        async with session.post(url, json={"type": 8, "data": {"choices": []}}) as resp:
            assert resp.status == 204
    assert fake.interactions[int(p["id"])].callback_type == 8


# --------------------------------------------------------------------------- (d) buttons


async def test_button_click_on_view(fake, bot):
    p = await fake.send_interaction(fake.command("buttons"))
    body = await fake.wait_for_callback(p)
    assert body["data"]["components"][0]["components"][0]["custom_id"] == "demo:ok"
    msg = fake.original_message(p)
    store = bot.client._connection._view_store
    await eventually(lambda: store.is_message_tracked(int(msg["id"])), what="view to be stored")

    click = await fake.send_interaction(fake.component("demo:ok", message_id=msg["id"], user_id=4242))
    assert click["message"]["components"][0]["components"][0]["custom_id"] == "demo:ok"
    body = await fake.wait_for_callback(click)
    assert body["type"] == 7 and body["data"]["content"] == "clicked by 4242" and body["data"]["components"] == []
    assert fake.messages[int(msg["id"])]["content"] == "clicked by 4242"


# --------------------------------------------------------------------------- (e) command sync


async def test_tree_sync_global_and_guild(fake, bot):
    synced = await bot.tree.sync()
    assert fake.sync_count == 1
    sync_req = await fake.wait_for_request(lambda r: r.method == "PUT")
    assert sync_req.path == f"/applications/{fake.application_id}/commands"
    assert {c["name"] for c in fake.commands()} == {"ping", "echo", "buttons", "slow", "toolong", "admin"}
    assert {c.name: c.id for c in synced} == {c["name"]: int(c["id"]) for c in fake.commands()}
    echo = next(c for c in fake.commands() if c["name"] == "echo")
    assert [o["name"] for o in echo["options"]] == ["text", "times"] and echo["options"][0]["autocomplete"] is True

    # a re-sync keeps ids stable, like Discord
    again = await bot.tree.sync()
    assert fake.sync_count == 2 and {c.id for c in again} == {c.id for c in synced}

    guild = discord.Object(fake.guild_id)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    assert fake.command_syncs[-1].guild_id == fake.guild_id
    assert len(fake.commands(fake.guild_id)) == 6
    # builders now use the synced guild command (data.guild_id, ids, option types)
    p = fake.command("echo", {"text": "7", "times": 2})
    assert p["data"]["guild_id"] == str(fake.guild_id)
    assert [o["type"] for o in p["data"]["options"]] == [3, 4]
    await fake.send_interaction(p)
    assert (await fake.wait_for_callback(p))["data"]["content"] == "7 7"


async def test_invalid_command_payload_is_rejected_like_discord(fake, bot):
    # bypass discord.py's own validation to check the fake's 400 shape
    route = discord.http.Route("PUT", "/applications/{a}/commands", a=fake.application_id)
    with pytest.raises(discord.HTTPException) as exc:
        await bot.client.http.request(route, json=[{"name": "Bad Name", "description": "d"}])
    assert exc.value.status == 400 and exc.value.code == 50035
    assert "In 0.name: Command name is invalid" in str(exc.value)  # discord.py flattened our errors


class FruitSelect(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(custom_id="fruit", options=[discord.SelectOption(label=f) for f in FRUITS])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {','.join(select.values)}", ephemeral=True)


class NameModal(discord.ui.Modal, title="Your name"):
    name = discord.ui.TextInput(label="Name", custom_id="name")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"hi {self.name.value}")


async def test_user_option_select_menu_and_modal(fake, bot):
    @bot.tree.command(description="Greets a member")
    async def greet(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"hello {member.name}", view=FruitSelect())

    @bot.tree.command(description="Asks for a name")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NameModal())

    await bot.tree.sync()  # lets the builder type "member" as a USER option and resolve it
    alice = fake.add_user(username="alice")
    p = await fake.send_interaction(fake.command("greet", {"member": alice}))
    assert p["data"]["options"][0]["type"] == 6 and str(alice) in p["data"]["resolved"]["members"]
    assert (await fake.wait_for_callback(p))["data"]["content"] == "hello alice"

    mid = int(fake.original_message(p)["id"])
    await eventually(lambda: bot.client._connection._view_store.is_message_tracked(mid), what="view to be stored")
    sel = await fake.send_interaction(fake.component("fruit", message_id=mid, component_type=3, values=["banana"]))
    body = await fake.wait_for_callback(sel)
    assert body["type"] == 4 and body["data"]["content"] == "picked banana" and body["data"]["flags"] == 64

    p = await fake.send_interaction(fake.command("form"))
    modal = await fake.wait_for_callback(p)
    assert modal["type"] == 9 and modal["data"]["title"] == "Your name"
    await eventually(lambda: bot.client._connection._view_store._modals, what="modal to be stored")
    sub = await fake.send_interaction(fake.modal_submit(modal["data"]["custom_id"], {"name": "Bob"}))
    assert (await fake.wait_for_callback(sub))["data"]["content"] == "hi Bob"
    assert bot.errors == []


# --------------------------------------------------------------------------- followups, channel messages


async def test_deferred_followup_and_edit_original(fake, bot):
    p = await fake.send_interaction(fake.command("slow"))
    assert (await fake.wait_for_callback(p))["type"] == 5
    await fake.wait_for_request(
        lambda r: (
            r.method == "POST"
            and r.path.startswith(f"/webhooks/{fake.application_id}/")
            and r.json.get("content") == "extra"
        )
    )
    original = fake.original_message(p)
    assert original["content"] == "done!" and not original["flags"] & 128  # loading flag cleared
    followups = fake.followups(p)
    assert [m["content"] for m in followups] == ["extra"] and followups[0]["flags"] == 64
    edit = await fake.wait_for_request(lambda r: r.method == "PATCH")
    assert edit.path.endswith("/messages/@original")
    assert bot.errors == []


async def test_channel_message_with_file_and_edit(fake, bot):
    channel = bot.client.get_channel(fake.channel_id)
    msg = await channel.send(
        "report",
        embed=discord.Embed(title="T", description="D"),
        file=discord.File(io.BytesIO(b"hello file"), filename="r.txt"),
    )
    req = await fake.wait_for_request(
        lambda r: r.method == "POST" and r.path == f"/channels/{fake.channel_id}/messages"
    )
    assert req.json["content"] == "report" and req.json["embeds"][0]["title"] == "T"
    assert req.files == {"r.txt": b"hello file"}
    assert msg.id == int(fake.messages[msg.id]["id"]) and msg.attachments[0].filename == "r.txt"
    assert msg.author.id == fake.bot_user_id

    edited = await msg.edit(content="report v2")
    assert edited.content == "report v2" and fake.messages[msg.id]["content"] == "report v2"
    fetched = await (await bot.client.fetch_channel(fake.channel_id)).fetch_message(msg.id)
    assert fetched.content == "report v2"

    with pytest.raises(discord.HTTPException) as exc:
        await channel.send("y" * 2001)
    assert exc.value.status == 400 and exc.value.code == 50035


async def test_unknown_route_and_strict_interaction_reply(fake, bot):
    with pytest.raises(discord.NotFound) as exc:
        await bot.client.http.request(discord.http.Route("GET", "/nope/{x}", x=1))
    assert exc.value.code == 0 and exc.value.text == "404: Not Found"
    assert fake.unknown_requests[-1].path == "/nope/1"

    p = await fake.send_interaction(fake.command("toolong"))
    req = await fake.wait_for_request(lambda r: r.path.startswith(f"/interactions/{p['id']}/"))
    assert req.status == 400 and req.response["code"] == 50035
    assert "BASE_TYPE_MAX_LENGTH" in str(req.response)
    await eventually(lambda: bot.errors, what="tree error")


# --------------------------------------------------------------------------- (f) gateway resilience


async def test_reconnect_and_close_4000_resume(fake, bot):
    session = fake.session_id
    await fake.gateway_reconnect()
    await fake.wait_for_resumed(1)
    assert fake.gateway_connections[-1]["path"] == "/gateway-resume"  # used resume_gateway_url
    assert fake.identify_count == 1 and fake.session_id == session
    await run_ping(fake)

    await fake.gateway_close(4000)
    # dispatched while the client is disconnected: must be replayed after RESUME
    p = await fake.send_interaction(fake.command("echo", {"text": "replayed"}))
    await fake.wait_for_resumed(2)
    assert (await fake.wait_for_callback(p))["data"]["content"] == "replayed"
    await run_ping(fake)
    await eventually(lambda: bot.resumed_count == 2, what="on_resumed x2")
    assert fake.identify_count == 1 and bot.ready_count == 1 and fake.resume_count == 2


async def test_invalid_session_leads_to_new_identify(fake, bot):
    old = fake.session_id
    await fake.gateway_invalid_session(resumable=False)
    await fake.wait_for_ready(2)
    assert fake.identify_count == 2 and fake.session_id != old
    assert fake.gateway_connections[-1]["path"] == "/gateway"  # back to DEFAULT_GATEWAY
    await eventually(lambda: bot.ready_count == 2, what="second on_ready")
    assert bot.client.get_guild(fake.guild_id) is not None
    await run_ping(fake)

    await fake.gateway_invalid_session(resumable=True)
    await fake.wait_for_resumed(1)
    assert fake.identify_count == 2
    await run_ping(fake)


async def test_close_4009_invalidates_then_reidentifies(fake, bot):
    await fake.gateway_close(4009)
    await fake.wait_for_ready(2)
    assert fake.resume_count == 1 and fake.resumed_count == 0 and fake.identify_count == 2
    await run_ping(fake)


async def test_missing_heartbeat_acks_are_detected_by_client_timeout(fake):
    fake.heartbeat_interval_ms = 200
    b = await Bot(heartbeat_timeout=1.0).start()
    try:
        fake.stop_heartbeat_acks()
        await fake.wait_for_resumed(1, timeout=8)  # client gave up on the silent socket and resumed
        fake.resume_heartbeat_acks()
        await run_ping(fake)
    finally:
        await b.close()


async def test_zlib_stream_compression(fake):
    fake.gateway_compression = True
    b = await Bot().start()
    try:
        assert fake.gateway_connections[-1]["compressed"] is True
        await run_ping(fake)
    finally:
        await b.close()


# --------------------------------------------------------------------------- (g) REST faults


async def test_429_on_callback_is_retried_and_reply_arrives_once(fake, bot):
    fault = fake.fail_next("POST", CALLBACK_RE, 429)
    payload = await run_ping(fake)
    attempts = fake.callback_requests(payload)
    assert [r.status for r in attempts] == [429, 200] and attempts[0].fault and fault.remaining == 0
    assert attempts[1].time - attempts[0].time >= 0.19  # honoured retry_after
    await asyncio.sleep(0.2)
    assert [r.status for r in fake.callback_requests(payload)] == [429, 200]
    assert fake.original_message(payload)["content"] == "pong" and bot.errors == []


async def test_cloudflare_429_without_via_is_not_retried(fake, bot):
    fake.fail_next("POST", CALLBACK_RE, 429, headers={"Via": None})
    payload = await fake.send_interaction(fake.command("ping"))
    await eventually(lambda: bot.errors, what="tree error")
    assert [r.status for r in fake.callback_requests(payload)] == [429]
    assert isinstance(bot.errors[0].original, discord.HTTPException) and bot.errors[0].original.status == 429


async def test_5xx_and_delay_on_rest(fake, bot):
    fake.fail_next("GET", r"^/channels/\d+$", 502)
    t0 = time.monotonic()
    channel = await bot.client.fetch_channel(fake.channel_id)  # HTTPClient retries 502 after 1 s
    assert channel.id == fake.channel_id and time.monotonic() - t0 >= 0.9
    assert [r.status for r in fake.requests if r.path == f"/channels/{fake.channel_id}"] == [502, 200]

    fake.fail_next("GET", r"^/channels/\d+$", 503)
    with pytest.raises(discord.DiscordServerError):  # 503 is not retried by HTTPClient
        await bot.client.fetch_channel(fake.channel_id)

    fake.delay_next("POST", CALLBACK_RE, 0.3)
    t0 = time.monotonic()
    await run_ping(fake)
    assert time.monotonic() - t0 >= 0.3


async def test_slow_callback_after_deadline_is_unknown_interaction(fake, bot):
    fake.callback_deadline = 0.2
    fake.delay_next("POST", CALLBACK_RE, 0.4)
    p = await fake.send_interaction(fake.command("ping"))
    await eventually(lambda: bot.errors, what="tree error")
    assert fake.callback_requests(p)[0].response == {"message": "Unknown interaction", "code": 10062}


# --------------------------------------------------------------------------- (h) clean shutdown


async def test_clean_shutdown_without_pending_tasks(fake):
    loop = asyncio.get_running_loop()
    problems: list[dict] = []
    old_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, ctx: problems.append(ctx))
    try:
        b = await Bot().start()
        await run_ping(fake)
        await b.close()
        assert b.task.done() and b.task.exception() is None and b.client.is_closed()
        await eventually(lambda: fake.gateway_connections[-1]["close_code"] is not None, what="socket close")
        # Client.close() calls ws.close(1000), but aiohttp first wakes the pending receive(), whose
        # error path in DiscordWebSocket.poll_event() closes with 4000 first -- so Discord sees 4000.
        assert fake.gateway_connections[-1]["close_code"] in (1000, 4000)

        def discord_tasks() -> list:
            out = []
            for t in asyncio.all_tasks():
                code = getattr(t.get_coro(), "cr_code", None)
                if not t.done() and code is not None and "/discord/" in code.co_filename:
                    out.append(t)
            return out

        await eventually(lambda: not discord_tasks(), timeout=3, what="discord.py tasks to finish")
        await eventually(
            lambda: not any(t.name.startswith("keep-alive-handler") and t.is_alive() for t in threading.enumerate()),
            timeout=3,
            what="heartbeat thread",
        )
        del b
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(old_handler)
    assert problems == []
