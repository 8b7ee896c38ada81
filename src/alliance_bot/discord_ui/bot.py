"""The Discord client: a thin layer that parses input, calls the core, sends what presentation built.

Every interaction gets exactly one response, also on failure: the tree's error
handler answers with a short ephemeral message and an error id, logs the
traceback with that id, and the usage log gets a row either way.

`AllianceBot` wires the Discord layer together: the command tree (`tree`), the error
path (`errors`), the usage rows (`recording`), load shedding (`overload`), the
interactions in flight at a stop (`inflight`), the clicks on components (`components`);
it keeps what the cogs call: `answer`, `send_rendered`, `reply_message`, `record`,
`spawn`, `is_moderator`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Coroutine, Hashable
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import discord
from discord.ext import commands

from alliance_bot.answers.model import Answer
from alliance_bot.discord_ui import (
    components,
    content_updates,
    inflight,
    overload,
    payload,
    pictures,
    recording,
    send,
    tree,
    votes,
)
from alliance_bot.discord_ui.inflight import InFlight
from alliance_bot.discord_ui.mentions import mentions
from alliance_bot.discord_ui.overload import RESPONSE_BUDGET, LoadShedder
from alliance_bot.discord_ui.payload import command_name
from alliance_bot.discord_ui.send import FOLLOWUP_BUDGET
from alliance_bot.discord_ui.translator import CommandTranslator
from alliance_bot.discord_ui.tree import AllianceTree
from alliance_bot.library import ContentStore
from alliance_bot.present.embeds import render, render_message
from alliance_bot.present.limits import Rendered
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog

if TYPE_CHECKING:
    import httpx

    from alliance_bot.present.pictures import Picture
    from alliance_bot.updates.service import ContentUpdates

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class _MessageOptions(TypedDict, total=False):
    """What an answer is sent with, as a response or a follow-up."""

    embeds: list[discord.Embed]
    ephemeral: bool
    allowed_mentions: discord.AllowedMentions
    view: discord.ui.View
    files: list[discord.File]


class AllianceBot(commands.Bot):
    def __init__(
        self,
        *,
        store: ContentStore,
        db: Database | None,
        usage: UsageLog | None,
        hash_key: bytes,
        moderator_role: int | None = None,
        extra_cogs: tuple[commands.Cog, ...] = (),
        clock: Callable[[], dt.datetime] | None = None,
        updates: ContentUpdates | None = None,
        downloads: httpx.AsyncClient | None = None,
        **client_options: Any,
    ) -> None:
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
        self.updates = updates  # content changes from Discord (updates/); None without a database
        self.downloads = downloads  # the HTTP client that fetches uploaded attachments (updates/fetch.py)
        self.pages = send.PageStore()
        self.pictures = pictures.Pictures()  # the /timeline and /stats pictures: drawn off the loop, cached
        self.clock: Callable[[], dt.datetime] = clock or (lambda: dt.datetime.now(dt.UTC))  # what day /today is
        self.extra_cogs: list[commands.Cog] = list(extra_cogs)
        self._background: set[asyncio.Task[object]] = set()
        self.in_flight = InFlight()
        self.shutdown_budget = inflight.SHUTDOWN_BUDGET
        self.load = LoadShedder(self.record)
        self.ready_count = 0
        self.gateway_connected = False  # is_ready() stays true while discord.py reconnects; this does not

    async def setup_hook(self) -> None:
        from alliance_bot.discord_ui.cogs.moderation import ContentCog, StatsCog
        from alliance_bot.discord_ui.cogs.reference import ReferenceCog

        await self.tree.set_translator(CommandTranslator())  # before the cogs: the descriptions in Korean
        await self.add_cog(ReferenceCog(self))
        await self.add_cog(ContentCog(self))
        await self.add_cog(StatsCog(self))
        for cog in self.extra_cogs:
            await self.add_cog(cog)
        if self.updates is not None:
            try:  # a content change a crash left half-written is finished before anything is served
                await self.updates.recover()
            except Exception:
                log.exception("could not finish the content changes a crash interrupted")
        self.spawn(send.sweep(self.pages, lambda entry: components.remove_buttons(self, entry)), name="expire-buttons")
        self.spawn(tree.learn_command_ids(self), name="command-ids")  # for clickable mentions

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
        log.info(
            "ready as %s (%s) in %d servers; ready #%d",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
            self.ready_count,
        )

    def spawn(self, coro: Coroutine[object, object, _T], name: str) -> asyncio.Task[_T]:
        task = asyncio.create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction" and args:
            # called as the gateway event is parsed, before any task handles the interaction: its receipt time
            overload.stamp_window(args[0])
        super().dispatch(event_name, *args, **kwargs)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        self.pictures.close()
        if not self.is_closed():
            cancelled = await self.in_flight.finish(self.shutdown_budget)
            await asyncio.gather(*(inflight.tell_cancelled(self, i) for i in cancelled))
        await super().close()  # closes the HTTP session: nothing may still be sending

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component and votes.is_vote(
            str(payload.field(interaction.data, "custom_id", ""))
        ):
            await votes.on_interaction(self, interaction)
            return
        if interaction.type is discord.InteractionType.component and content_updates.is_confirm(
            str(payload.field(interaction.data, "custom_id", ""))
        ):
            await content_updates.on_interaction(self, interaction)
            return
        await components.on_interaction(self, interaction)

    # ---------------------------------------------------------------- usage

    def record(
        self,
        interaction: discord.Interaction,
        outcome: str,
        *,
        kind: str | None = None,
        command: str | None = None,
        options: dict[str, object] | None = None,
        error_id: str | None = None,
    ) -> None:
        """The interaction's one usage row and log line (a later call for it does nothing)."""
        recording.record(
            self.usage,
            self.hash_key,
            interaction,
            outcome,
            kind=kind,
            command=command,
            options=options,
            error_id=error_id,
        )

    async def on_app_command_completion(self, interaction: discord.Interaction, command: object) -> None:
        self.record(interaction, interaction.extras.get("outcome", "answered"))

    # ---------------------------------------------------------------- sending

    async def answer(self, interaction: discord.Interaction, answer: Answer, *, ephemeral: bool = False) -> None:
        """Render a domain answer and send it as the interaction's one response."""
        interaction.extras["outcome"] = "answered" if answer.found else "nothing_found"
        await self.send_rendered(
            interaction, self.rendered(interaction, answer), ephemeral=ephemeral or not answer.found
        )

    def rendered(self, interaction: discord.Interaction, answer: Answer) -> Rendered:
        """An answer as the embeds this server sees: its hints' commands clickable, and the 👍/👎 pair on the
        answers people can judge. "Nothing found" goes only to the asker (`answer`)."""
        rendered = render(answer, mentions=mentions(self, interaction.guild_id))
        key = votes.answer_key(answer)
        return rendered if key is None else dataclasses.replace(rendered, vote_key=str(key))

    async def answer_with_picture(
        self,
        interaction: discord.Interaction,
        rendered: Rendered,
        key: Hashable,
        draw: Callable[[], Picture],
        *,
        what: str,
        ephemeral: bool = False,
    ) -> None:
        """Send `rendered` with the picture `draw` makes (in the render pool, or from the cache) shown in its
        embed; without it, and with the error logged, when the picture cannot be had (discord_ui/pictures.py)."""
        picture = None
        if interaction.guild_id is not None and not interaction.app_permissions.attach_files:
            # a server that withholds Attach Files would refuse the whole answer: it gets the text alone
            log.info("no %s picture: the bot may not attach files in channel %s", what, interaction.channel_id)
        else:
            picture = await pictures.picture_for(self.pictures, interaction, key, draw, what=what, ephemeral=ephemeral)
        if picture is not None:
            shown, file = pictures.attachment(rendered, picture)
            try:
                await self.send_rendered(interaction, shown, ephemeral=ephemeral, files=[file])
                return
            except discord.HTTPException as exc:
                if exc.status not in (400, 413):  # the file refused (too large here, a bad alt text): else raise
                    raise
                self.pictures.failures += 1
                log.exception("Discord refused the %s picture (%s); the text answer goes without it", what, exc.status)
        await self.send_rendered(interaction, rendered, ephemeral=ephemeral)

    async def send_rendered(
        self,
        interaction: discord.Interaction,
        rendered: Rendered,
        *,
        ephemeral: bool = False,
        files: list[discord.File] | None = None,
    ) -> None:
        ephemeral = ephemeral or rendered.ephemeral
        token = None
        if send.needs_components(rendered):
            token = self.pages.add(send.PageEntry(interaction.user.id, rendered, command_name(interaction)))
        view = send.components_for(rendered, token, 0)
        kwargs: _MessageOptions = {
            "embeds": send.to_embeds(rendered.pages[0]),
            "ephemeral": ephemeral,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
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
                    sent = await asyncio.wait_for(
                        interaction.followup.send(wait=True, **kwargs), timeout=FOLLOWUP_BUDGET
                    )
                    message_id = sent.id
                else:
                    await asyncio.wait_for(interaction.followup.send(wait=False, **kwargs), timeout=FOLLOWUP_BUDGET)
                    message_id = None
            else:
                async with self.load.slots:
                    # decided here, with a slot, where the recent response times say what a response costs now
                    if self.load.too_late(interaction):
                        if token is not None:
                            self.pages.drop(token)
                        self.load.shed(interaction)
                        return
                    try:
                        response = await asyncio.wait_for(
                            interaction.response.send_message(**kwargs), timeout=RESPONSE_BUDGET
                        )
                    finally:
                        self.load.note_response_time(interaction)
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

    async def reply_message(
        self,
        interaction: discord.Interaction,
        title: str,
        text: str,
        *,
        error: bool = False,
        files: list[discord.File] | None = None,
    ) -> None:
        await self.send_rendered(interaction, render_message(title, text, error=error), ephemeral=True, files=files)

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
                value = await self.db.scalar(
                    "SELECT moderator_role FROM guild_settings WHERE guild_id = ?", (guild_id,)
                )
            except Exception:  # a locked or broken database must not lock moderators out silently
                log.exception("could not read the moderator role of guild %s", guild_id)
                value = None
            if value is not None:
                return int(value)
        return self.default_moderator_role


class ShardedAllianceBot(AllianceBot, commands.AutoShardedBot):
    """The bot over several shards in one process (`alliance-bot run --shard-count N --shard-ids …`): discord.py's
    AutoShardedBot connection handling with every behaviour of AllianceBot. Commands are never synced from here
    (only `alliance-bot sync`), so N processes do not write the command set N times."""
