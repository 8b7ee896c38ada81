"""The Discord client: a thin layer that parses input, calls the core, sends what presentation built.

Every interaction gets exactly one response, also on failure: the tree's error
handler answers with a short ephemeral message and an error id, logs the
traceback with that id, and the usage log gets a row either way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Coroutine, Mapping
from typing import Any, TypedDict, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.model import Answer
from alliance_bot.discord_ui import send
from alliance_bot.discord_ui.checks import NotModerator
from alliance_bot.library import ContentStore
from alliance_bot.present.embeds import Rendered, escape_md, render, render_message
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog, UsageRecord, hash_user, options_json

log = logging.getLogger(__name__)


RESPONSE_BUDGET = 3.0  # seconds
FOLLOWUP_BUDGET = 30.0
RESPONSES_AT_ONCE = 50
SEND_ESTIMATE_MIN = 0.1  # seconds: the least an interaction response is expected to take
SHED_LOG_QUIET = 10.0  # seconds without a late interaction that end a burst (one log line per burst)
SHUTDOWN_BUDGET = 5.0  # seconds at a stop for interactions still running to finish, before the session closes
NOTICE_BUDGET = 2.0  # then for telling those cancelled to run the command again


UNKNOWN_INTERACTION = 10062  # Discord's error code for a response after the window (or a second one)

_T = TypeVar("_T")


def _field(data: object, key: str, default: object = None) -> object:
    """A field of an interaction's data or of one of its options (Discord's JSON), else `default`."""
    return data.get(key, default) if isinstance(data, Mapping) else default


def _options(data: object) -> list[Mapping[str, object]]:
    """The options of an interaction's data, or of an option (a subcommand's or a group's)."""
    options = _field(data, "options")
    return [opt for opt in options if isinstance(opt, Mapping)] if isinstance(options, list) else []


def flatten_options(data: object) -> dict[str, object]:
    """The options of an interaction payload as {name: value}, subcommands flattened."""
    out: dict[str, object] = {}
    for opt in _options(data):
        if "options" in opt:
            out.update(flatten_options(opt))
        elif "value" in opt:
            out[str(opt["name"])] = opt["value"]
    return out


SECRET = "[secret]"  # what the usage log keeps of a secret option's value


def secret_options(*names: str) -> Any:
    """Mark options whose values never reach the usage log (a webhook URL carries its token); above
    `@app_commands.command`. The names are checked against the command's parameters here, at definition."""
    def decorator(command: app_commands.Command[Any, ..., Any]) -> app_commands.Command[Any, ..., Any]:
        unknown = sorted(set(names) - {p.name for p in command.parameters})
        if unknown:
            raise TypeError(f"/{command.qualified_name} has no option {', '.join(unknown)} to mark secret")
        command.extras["secret_options"] = frozenset(names)
        return command
    return decorator


def without_secrets(interaction: discord.Interaction, options: dict[str, Any] | None) -> dict[str, Any] | None:
    """The options as the usage log may keep them: a secret option's value replaced, whatever the outcome; for a
    command this bot does not know (it cannot say which are secret), no values at all."""
    if not options or interaction.type not in (discord.InteractionType.application_command,
                                               discord.InteractionType.autocomplete):
        return options
    command = interaction.command
    if command is None:
        return {name: SECRET for name in options}
    secret = command.extras.get("secret_options", frozenset())
    return {name: SECRET if name in secret else value for name, value in options.items()}


def command_name(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return interaction.command.qualified_name
    data = interaction.data
    name = str(_field(data, "name", "?"))
    for opt in _options(data):
        if opt.get("type") in (1, 2):
            name += f" {opt['name']}"
            for sub in _options(opt):
                if sub.get("type") == 1:
                    name += f" {sub['name']}"
    return name


def focused_option(data: object) -> str | None:
    """The name of the option an autocomplete interaction asks about (subcommands searched), or None."""
    for opt in _options(data):
        if opt.get("focused"):
            return str(opt.get("name"))
        if "options" in opt:
            found = focused_option(opt)
            if found is not None:
                return found
    return None


def can_autocomplete(interaction: discord.Interaction) -> bool:
    """Whether the tree has the command and an autocomplete handler for the focused option."""
    command = interaction.command  # None when the tree has no such command or subcommand
    if not isinstance(command, app_commands.Command):
        return False
    focused = focused_option(interaction.data)
    return any(p.display_name == focused and p.autocomplete for p in command.parameters)


class AllianceTree(app_commands.CommandTree["AllianceBot"]):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        interaction.extras.setdefault("t0", time.perf_counter())
        self.client.track(interaction)
        if self.client.too_late(interaction):
            self.client.shed(interaction)
            return False
        if interaction.type is discord.InteractionType.autocomplete and not can_autocomplete(interaction):
            # discord.py would raise CommandNotFound (whose error reply, a message, Discord rejects for an
            # autocomplete) or log a traceback and leave it unanswered: answer it here, with no choices
            await self.client.answer_unroutable_autocomplete(interaction)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        await self.client.handle_error(interaction, error)


class _MessageOptions(TypedDict, total=False):
    """What an answer is sent with, as a response or a follow-up."""

    embeds: list[discord.Embed]
    ephemeral: bool
    allowed_mentions: discord.AllowedMentions
    view: discord.ui.View
    files: list[discord.File]


class AllianceBot(commands.Bot):
    def __init__(self, *, store: ContentStore, db: Database | None, usage: UsageLog | None, hash_key: bytes,
                 moderator_role: int | None = None, extra_cogs: tuple[commands.Cog, ...] = (),
                 **client_options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # no message commands: slash commands only
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=AllianceTree,
            help_command=None,
            **client_options,
        )
        self.store = store
        self.db = db
        self.usage = usage
        self.hash_key = hash_key
        self.default_moderator_role = moderator_role
        self.pages = send.PageStore()
        self.extra_cogs: list[commands.Cog] = list(extra_cogs)
        self._background: set[asyncio.Task[object]] = set()
        self._in_flight: dict[asyncio.Task[object], discord.Interaction] = {}  # the task handling each interaction
        self.shutdown_budget = SHUTDOWN_BUDGET
        # initial responses in flight at once: discord.py's connection pool has no limit, and a burst of
        # thousands of simultaneous requests makes every one of them slow
        self._responding = asyncio.Semaphore(RESPONSES_AT_ONCE)
        self.send_estimate = SEND_ESTIMATE_MIN  # how long an interaction response takes now (moving average)
        self._last_late = -SHED_LOG_QUIET  # loop time of the last late interaction
        self.late_count = 0
        self._unroutable_logged: set[str] = set()
        self.ready_count = 0
        self.gateway_connected = False  # is_ready() stays true while discord.py reconnects; this does not

    async def setup_hook(self) -> None:
        from alliance_bot.discord_ui.cogs.moderation import ContentCog, StatsCog
        from alliance_bot.discord_ui.cogs.reference import ReferenceCog

        await self.add_cog(ReferenceCog(self))
        await self.add_cog(ContentCog(self))
        await self.add_cog(StatsCog(self))
        for cog in self.extra_cogs:
            await self.add_cog(cog)
        self.spawn(send.sweep(self.pages, self.remove_buttons), name="expire-buttons")

    async def on_connect(self) -> None:
        self.gateway_connected = True

    async def on_resumed(self) -> None:
        self.gateway_connected = True

    async def on_disconnect(self) -> None:
        self.gateway_connected = False

    async def on_ready(self) -> None:
        # fires again after reconnects: nothing here may start work twice
        self.gateway_connected = True
        self.ready_count += 1
        log.info("ready as %s (%s) in %d servers; ready #%d", self.user, getattr(self.user, "id", "?"),
                 len(self.guilds), self.ready_count)

    def spawn(self, coro: Coroutine[object, object, _T], name: str) -> asyncio.Task[_T]:
        task = asyncio.create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # ---------------------------------------------------------------- load shedding

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction" and args:
            # called as the gateway event is parsed, before any task handles the interaction: its receipt time
            self._stamp_window(args[0])
        super().dispatch(event_name, *args, **kwargs)

    @staticmethod
    def _stamp_window(interaction: discord.Interaction) -> None:
        """When Discord's 3-second window started, on the monotonic clock: the creation time in the snowflake
        id, when it is plausible (up to the window before receipt), else the receipt time (clocks that disagree
        by more than the window must not make every interaction look late)."""
        now = time.monotonic()
        transit = time.time() - interaction.created_at.timestamp()
        interaction.extras["window_start"] = now - transit if 0.0 <= transit <= RESPONSE_BUDGET else now

    def too_late(self, interaction: discord.Interaction) -> bool:
        """Whether the window has passed, or will before a response could arrive: `send_estimate`, how long
        recent interactions took from this decision to their response (which, under load, includes waiting
        for the event loop)."""
        start = interaction.extras.get("window_start")
        now = time.monotonic()
        interaction.extras["decided"] = now
        return start is not None and now - start + self.send_estimate >= RESPONSE_BUDGET

    def shed(self, interaction: discord.Interaction) -> None:
        """Not attempted (or not retried): Discord would refuse it. A usage row `late`; one log line a burst."""
        self.record(interaction, "late")
        self.late_count += 1
        now = time.monotonic()
        if now - self._last_late >= SHED_LOG_QUIET:
            log.warning("overloaded: interactions that cannot be answered within Discord's 3 seconds are not "
                        "attempted (usage outcome=late; %d so far; logged once a burst)", self.late_count)
        self._last_late = now

    def _note_response_time(self, interaction: discord.Interaction) -> None:
        decided = interaction.extras.get("decided")
        if decided is not None:  # answered or not: a refused late response took its time too
            seconds = time.monotonic() - decided
            self.send_estimate = max(SEND_ESTIMATE_MIN, 0.8 * self.send_estimate + 0.2 * seconds)

    # ---------------------------------------------------------------- shutdown

    def track(self, interaction: discord.Interaction) -> None:
        """Remember the task handling an interaction until it ends, so that a stop can wait for it."""
        task = asyncio.current_task()
        if task is not None and task not in self._in_flight:
            self._in_flight[task] = interaction
            task.add_done_callback(lambda t: self._in_flight.pop(t, None))

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if not self.is_closed():
            await self._finish_in_flight()
        await super().close()  # closes the HTTP session: nothing may still be sending

    async def _finish_in_flight(self) -> None:
        """Interactions still running get `shutdown_budget` seconds to finish; the rest are cancelled, told to
        run the command again (while the session is still open), and recorded as `cancelled`."""
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.shutdown_budget
        while True:
            pending = {t for t in self._in_flight if t is not current and not t.done()}
            remaining = deadline - loop.time()
            if not pending or remaining <= 0:
                break
            await asyncio.wait(pending, timeout=remaining)
        if not pending:
            return
        cancelled = [(t, self._in_flight[t]) for t in pending]
        log.warning("stopping: %d interaction%s still running after %g s, cancelled", len(cancelled),
                    "" if len(cancelled) == 1 else "s", self.shutdown_budget)
        for task, _ in cancelled:
            task.cancel()
        await asyncio.gather(*(t for t, _ in cancelled), return_exceptions=True)  # retrieved: nothing logged later
        await asyncio.gather(*(self._cancelled_notice(i) for _, i in cancelled))

    async def _cancelled_notice(self, interaction: discord.Interaction) -> None:
        self.record(interaction, "cancelled")
        if interaction.type is discord.InteractionType.autocomplete:
            return
        rendered = render_message("Stopped", "The bot is restarting and could not finish this: run the command "
                                             "again in a minute.", error=True)
        try:
            await asyncio.wait_for(self.send_rendered(interaction, rendered, ephemeral=True), timeout=NOTICE_BUDGET)
        except (discord.HTTPException, asyncio.TimeoutError, OSError) as exc:
            log.debug("could not tell a cancelled interaction: %s", type(exc).__name__)

    # ---------------------------------------------------------------- usage

    def record(self, interaction: discord.Interaction, outcome: str, *, kind: str | None = None,
               command: str | None = None, options: dict[str, object] | None = None,
               error_id: str | None = None) -> None:
        if interaction.extras.get("recorded"):
            return
        interaction.extras["recorded"] = True
        t0 = interaction.extras.get("t0")
        latency = (time.perf_counter() - t0) * 1000 if t0 is not None else None
        if kind is None:
            kind = {discord.InteractionType.autocomplete: "autocomplete",
                    discord.InteractionType.component: "component"}.get(interaction.type, "command")
        name = command or command_name(interaction)
        # one line per interaction (no user id); the error id, when there is one, joins it to the traceback
        log.log(logging.DEBUG if kind == "autocomplete" or outcome == "late" else logging.INFO,
                "interaction kind=%s command=%s outcome=%s latency_ms=%s guild=%s%s", kind, name, outcome,
                f"{latency:.1f}" if latency is not None else "-", interaction.guild_id,
                f" error_id={error_id}" if error_id else "")
        if self.usage is None:
            return
        if options is None and interaction.type is not discord.InteractionType.component:
            options = flatten_options(interaction.data)
        options = without_secrets(interaction, options)  # every path comes here: answered, refused, error
        self.usage.record(UsageRecord(
            ts=time.time(), kind=kind, command=name, options=options_json(options),
            outcome=outcome, latency_ms=latency, guild_id=interaction.guild_id, channel_id=interaction.channel_id,
            user_hash=hash_user(self.hash_key, interaction.user.id if interaction.user else None),
            locale=str(interaction.locale) if interaction.locale else None, error_id=error_id,
        ))

    async def on_app_command_completion(self, interaction: discord.Interaction, command: object) -> None:
        self.record(interaction, interaction.extras.get("outcome", "answered"))

    # ---------------------------------------------------------------- sending

    async def answer(self, interaction: discord.Interaction, answer: Answer, *, ephemeral: bool = False) -> None:
        """Render a domain answer and send it as the interaction's one response."""
        interaction.extras["outcome"] = "answered" if answer.found else "nothing_found"
        await self.send_rendered(interaction, render(answer), ephemeral=ephemeral)

    async def send_rendered(self, interaction: discord.Interaction, rendered: Rendered, *, ephemeral: bool = False,
                            files: list[discord.File] | None = None) -> None:
        ephemeral = ephemeral or rendered.ephemeral
        token = None
        if send.needs_components(rendered):
            token = self.pages.add(send.PageEntry(interaction.user.id, rendered, command_name(interaction)))
        view = send.components_for(rendered, token, 0)
        kwargs: _MessageOptions = {"embeds": send.to_embeds(rendered.pages[0]), "ephemeral": ephemeral,
                                   "allowed_mentions": discord.AllowedMentions.none()}
        if view is not None:
            kwargs["view"] = view
        if files:
            kwargs["files"] = files
        # Discord drops an interaction not answered within 3 seconds (15 minutes for a follow-up after a
        # deferral): retrying past that is useless, so the library's retries get a deadline; a timeout then goes
        # to the error path (logged with an error id) like any other failure.
        try:
            message_id: int | None
            if interaction.response.is_done():
                if token is not None:  # the message is wanted (see below): waited for
                    sent = await asyncio.wait_for(interaction.followup.send(wait=True, **kwargs),
                                                  timeout=FOLLOWUP_BUDGET)
                    message_id = sent.id
                else:
                    await asyncio.wait_for(interaction.followup.send(wait=False, **kwargs), timeout=FOLLOWUP_BUDGET)
                    message_id = None
            else:
                async with self._responding:
                    # decided here, with a slot, where the recent response times say what a response costs now
                    if self.too_late(interaction):
                        if token is not None:
                            self.pages.drop(token)
                        self.shed(interaction)
                        return
                    try:
                        response = await asyncio.wait_for(interaction.response.send_message(**kwargs),
                                                          timeout=RESPONSE_BUDGET)
                    finally:
                        self._note_response_time(interaction)
                message_id = response.message_id
        except BaseException:
            if token is not None:
                self.pages.drop(token)
            raise
        if token is not None:
            # what the sweeper needs to remove the buttons at expiry, not the Interaction
            entry = self.pages.get(token)
            if entry is not None:
                entry.application_id, entry.webhook_token = interaction.application_id, interaction.token
                entry.message_id = message_id

    async def reply_message(self, interaction: discord.Interaction, title: str, text: str, *, error: bool = False,
                            files: list[discord.File] | None = None) -> None:
        await self.send_rendered(interaction, render_message(title, text, error=error), ephemeral=True, files=files)

    async def answer_unroutable_autocomplete(self, interaction: discord.Interaction) -> None:
        """An autocomplete for a command or option the bot does not have: empty choices (the only reply Discord
        accepts), logged once per command name, not once per keystroke."""
        name = command_name(interaction)
        if name not in self._unroutable_logged and len(self._unroutable_logged) < 1000:
            self._unroutable_logged.add(name)
            log.warning("autocomplete for %r (option %r), which this bot does not have: answered with no choices; "
                        "run `alliance-bot sync` if Discord's command list is out of date (logged once)",
                        name, focused_option(interaction.data))
        self.record(interaction, "error", kind="autocomplete", command=name)
        if interaction.response.is_done():
            return
        try:
            await asyncio.wait_for(interaction.response.autocomplete([]), timeout=RESPONSE_BUDGET)
        except (discord.HTTPException, asyncio.TimeoutError, OSError) as exc:
            log.debug("could not answer an autocomplete: %s", type(exc).__name__)

    async def remove_buttons(self, entry: send.PageEntry) -> None:
        """At expiry: edit the message without its components, through the interaction's webhook."""
        if entry.message_id is None or entry.webhook_token is None or entry.application_id is None:
            return
        if self.pages.clock() - entry.created >= send.TOKEN_LIFETIME:
            return  # the token no longer works; the buttons answer "expired"
        webhook = discord.Webhook.partial(entry.application_id, entry.webhook_token, client=self)
        try:
            await asyncio.wait_for(webhook.edit_message(entry.message_id, view=None), timeout=FOLLOWUP_BUDGET)
        except (discord.HTTPException, asyncio.TimeoutError, OSError) as exc:  # message deleted, Discord failing
            log.debug("could not remove expired buttons: %s", type(exc).__name__)

    # ---------------------------------------------------------------- errors

    async def handle_error(self, interaction: discord.Interaction, error: Exception) -> None:
        if interaction.type is discord.InteractionType.autocomplete:
            # Discord accepts only choices for an autocomplete: never a message, whatever went wrong
            await self.answer_unroutable_autocomplete(interaction)
            return
        original = getattr(error, "original", error)
        if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
            # the window closed before the response arrived: an error reply would get the same 404
            self.shed(interaction)
            return
        error_id: str | None = None
        if isinstance(original, InvalidInput):
            # the message may quote what the user typed: make it inert
            outcome, title, text = "invalid_input", "That did not work", escape_md(original.message)
        elif isinstance(error, NotModerator):
            outcome, title = "refused", "Moderators only"
            text = "This command is for moderators: members with Manage Server, or the server's moderator role."
        elif isinstance(error, app_commands.NoPrivateMessage):
            outcome, title, text = "refused", "Servers only", "This command works in a server, not in direct messages."
        elif isinstance(error, app_commands.CheckFailure):
            outcome, title, text = "refused", "Not allowed", "You are not allowed to use this command here."
        elif isinstance(error, app_commands.CommandNotFound):
            outcome, title = "error", "Unknown command"
            text = "This command no longer exists; the server's command list may be out of date."
        else:
            error_id = secrets.token_hex(4)
            outcome, title = "error", "Something went wrong"
            text = (f"Sorry, that failed on our side. Error id `{error_id}`: the bot's operators can find the "
                    f"details in its logs.")
            log.error("interaction failed [error_id=%s] command=%s guild=%s", error_id, command_name(interaction),
                      interaction.guild_id, exc_info=original)
        if outcome == "refused":
            log.info("refused %s in guild %s: %s", command_name(interaction), interaction.guild_id, type(error).__name__)
        self.record(interaction, outcome, error_id=error_id)
        try:
            await self.reply_message(interaction, title, text, error=outcome == "error")
        except (discord.HTTPException, asyncio.TimeoutError, OSError) as exc:
            # the interaction expired or Discord is failing: logged, nothing else can be done for this one
            log.warning("could not send the error reply [error_id=%s]: %s", error_id, type(exc).__name__)

    # ---------------------------------------------------------------- components

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        interaction.extras.setdefault("t0", time.perf_counter())
        self.track(interaction)
        if self.too_late(interaction):
            self.shed(interaction)
            return
        custom_id = str(_field(interaction.data, "custom_id", ""))
        try:
            await self._on_component(interaction, custom_id)
        except Exception as exc:  # one path for errors, also for components
            if not interaction.response.is_done() or not interaction.extras.get("recorded"):
                await self.handle_error(interaction, exc)

    async def _on_component(self, interaction: discord.Interaction, custom_id: str) -> None:
        parsed = send.parse_custom_id(custom_id)
        entry = self.pages.get(parsed[1]) if parsed else None
        if parsed is None or entry is None or parsed[0] == "noop":
            self.record(interaction, "invalid_input", command="button", options={"custom_id": custom_id[:100]})
            await self.reply_message(interaction, "This button has expired",
                                     "Run the command again to get fresh buttons.")
            return
        action, token, number = parsed
        if action == "pg":
            if interaction.user.id != entry.owner_id:
                self.record(interaction, "refused", command=f"{entry.command} page")
                await self.reply_message(interaction, "Not your answer",
                                         "Only the person who asked can turn these pages. Run the command yourself "
                                         "to get your own copy.")
                return
            if number is None or not 0 <= number < entry.page_count:
                self.record(interaction, "invalid_input", command=f"{entry.command} page")
                await self.reply_message(interaction, "This button has expired", "That page does not exist.")
                return
            entry.page = number
            await interaction.response.edit_message(embeds=send.to_embeds(entry.embeds(number)),
                                                    view=send.components_for(entry, token, number))
            self.record(interaction, "answered", command=f"{entry.command} page", options={"page": number + 1})
            return
        # a link menu: anyone may open the related entry, shown only to them
        values = _field(interaction.data, "values") or []
        link = send.link_target(entry, [str(v) for v in values] if isinstance(values, list) else [])
        if link is None:
            self.record(interaction, "invalid_input", command="link")
            await self.reply_message(interaction, "This menu has expired", "Run the command again.")
            return
        answers = self.store.answers
        result: Answer
        if link.command == "viewpoints":
            result = answers.viewpoints(link.argument)
        elif link.command == "treaty":
            result = answers.treaty(link.argument)
        elif link.command == "today":
            result = answers.today(link.argument)
        elif link.command == "source":
            result = answers.source(link.argument)
        elif link.command == "timeline":
            ev = answers.digest.events.get(link.argument)
            result = answers.timeline(ev.date.iso(), ev.date.iso()) if ev else answers.fact(link.argument)
        else:
            result = answers.fact(link.argument)
        interaction.extras["outcome"] = "answered" if result.found else "nothing_found"
        await self.send_rendered(interaction, render(result), ephemeral=True)
        self.record(interaction, interaction.extras["outcome"], command=f"link {link.command}",
                    options={"target": link.argument})

    # ---------------------------------------------------------------- moderators

    async def is_moderator(self, interaction: discord.Interaction) -> bool:
        """Manage Server (as Discord computed it for this interaction), or the server's moderator role."""
        if interaction.guild_id is None:
            return False
        perms = interaction.permissions
        if perms.manage_guild or perms.administrator:
            return True
        role_id = await self.moderator_role(interaction.guild_id)
        if role_id is None or role_id == interaction.guild_id:
            # @everyone (id = server id; every member has it) never grants anything, even if stored before
            # /content moderator-role refused it
            return False
        roles = getattr(interaction.user, "roles", [])
        return any(r.id == role_id for r in roles)

    async def moderator_role(self, guild_id: int) -> int | None:
        if self.db is not None:
            try:
                value = await self.db.scalar("SELECT moderator_role FROM guild_settings WHERE guild_id = ?", (guild_id,))
            except Exception:  # a locked or broken database must not lock moderators out silently
                log.exception("could not read the moderator role of guild %s", guild_id)
                value = None
            if value is not None:
                return int(value)
        return self.default_moderator_role


def command_payload(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None = None) -> list[dict[str, Any]]:
    """What `sync` sends: the commands as Discord's JSON, sorted for a stable hash."""
    cmds = [c.to_dict(tree) for c in tree.get_commands(guild=guild)]
    return sorted(cmds, key=lambda c: (c.get("type", 1), c["name"]))


def payload_hash(payload: list[dict[str, Any]]) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
