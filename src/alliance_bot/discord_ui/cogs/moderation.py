"""Moderator commands: /content reload|status|moderator-role and /stats.

Hidden from members by default (default permission: Manage Server), and
checked again when run: a server can grant the commands to others in its
integration settings, so the check at run time is what actually decides.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.discord_ui import content_updates
from alliance_bot.discord_ui.checks import NotModerator, moderator_only
from alliance_bot.discord_ui.mentions import mentions
from alliance_bot.present.embed_moderation import render_reload, render_stats, render_status
from alliance_bot.present.limits import escape_md
from alliance_bot.present.markup import command
from alliance_bot.storage.usage import StatsTooSlow, summarise

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

PROBLEMS_INLINE_MAX = 1500
NO_DATABASE = (
    "This bot runs without a database, so it keeps no {what}.\nAsk its operator to run it with one (ALLIANCE_BOT_DB)."
)


def moderator_role_refusal(role: discord.Role, guild_id: int | None) -> str | None:
    """Why `role` cannot be the moderator role, or None.

    @everyone (its id is the server's) would make every member a moderator. A managed role (a bot's, the
    Server Booster role, a linked service's) has members chosen outside the server's moderators: by whoever
    adds a bot, boosts, or subscribes elsewhere, so it is refused too.
    """
    if role.id == guild_id:
        return "@everyone cannot be the moderator role: it would make every member a moderator."
    if role.managed:
        return (
            f"The role {escape_md(role.name)} is managed by Discord or an integration (a bot, Server Boosts or "
            "a linked service), which decides who has it: choose a role the server's moderators hand out."
        )
    return None


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ContentCog(commands.GroupCog, group_name="content", group_description="Moderators: the bot's content"):
    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="reload", description="Re-read and check the content files; swap them in only if valid")
    @moderator_only()
    async def reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.bot.store.reload()
        files = None
        text_problems = "\n".join(str(p) for p in result.problems)
        if not result.ok and len(text_problems) > PROBLEMS_INLINE_MAX:
            files = [discord.File(io.BytesIO(text_problems.encode()), filename="content-problems.txt")]
        interaction.extras["outcome"] = "answered" if result.ok else "invalid_input"
        await self.bot.send_rendered(
            interaction,
            render_reload(result, attached=files is not None, mentions=mentions(self.bot, interaction.guild_id)),
            ephemeral=True,
            files=files,
        )

    @app_commands.command(name="status", description="Which content is being served, and the last failed reload")
    @moderator_only()
    async def status(self, interaction: discord.Interaction) -> None:
        lib = self.bot.store.current
        await self.bot.send_rendered(
            interaction, render_status(lib.digest, lib.loaded_at, self.bot.store.last_failure), ephemeral=True
        )

    @app_commands.command(name="upload", description="Propose new content: one YAML file or a zip, checked first")
    @app_commands.describe(file="A content file (.yaml) or a .zip of the content folder", note="What the change does")
    @moderator_only()
    async def upload(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        note: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        await content_updates.upload(self.bot, interaction, file, note)

    @app_commands.command(name="proposals", description="The open content proposals")
    @moderator_only()
    async def proposals(self, interaction: discord.Interaction) -> None:
        await content_updates.proposals(self.bot, interaction)

    @app_commands.command(name="apply", description="Apply a proposal (after a confirmation): write, reload, announce")
    @app_commands.describe(id="The proposal's number (see /content proposals)")
    @moderator_only()
    async def apply(self, interaction: discord.Interaction, id: app_commands.Range[int, 1, 2**53]) -> None:
        await content_updates.apply(self.bot, interaction, id)

    @apply.autocomplete("id")
    async def _apply_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        return await content_updates.proposal_choices(self.bot, interaction, current)

    @app_commands.command(name="cancel", description="Close an open proposal without applying it")
    @app_commands.describe(id="The proposal's number")
    @moderator_only()
    async def cancel(self, interaction: discord.Interaction, id: app_commands.Range[int, 1, 2**53]) -> None:
        await content_updates.cancel(self.bot, interaction, id)

    @cancel.autocomplete("id")
    async def _cancel_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        return await content_updates.proposal_choices(self.bot, interaction, current)

    @app_commands.command(name="history", description="The content changes applied from this server")
    @moderator_only()
    async def history(self, interaction: discord.Interaction) -> None:
        await content_updates.history(self.bot, interaction)

    @app_commands.command(name="rollback", description="Undo an applied change (checked, then confirmed)")
    @app_commands.describe(id="The change's number (see /content history)", note="Why")
    @moderator_only()
    async def rollback(
        self,
        interaction: discord.Interaction,
        id: app_commands.Range[int, 1, 2**53],
        note: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        await content_updates.rollback(self.bot, interaction, id, note)

    @app_commands.command(name="export", description="The current content files to edit (all as a zip, or one)")
    @app_commands.describe(file="One file, for example events.yaml (empty: every file as a zip)")
    @moderator_only()
    async def export(
        self, interaction: discord.Interaction, file: app_commands.Range[str, 1, 200] | None = None
    ) -> None:
        await content_updates.export(self.bot, interaction, file)

    @export.autocomplete("file")
    async def _export_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await content_updates.file_choices(self.bot, interaction, current)

    @app_commands.command(name="settings", description="Where change notes go; whether another moderator must apply")
    @app_commands.describe(
        channel="The channel for the one-line change notes",
        second_moderator="Only a moderator other than the uploader may apply a proposal",
        no_channel="Post no change notes",
    )
    @moderator_only()
    async def settings(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        second_moderator: bool | None = None,
        no_channel: bool = False,
    ) -> None:
        await content_updates.settings(self.bot, interaction, channel, second_moderator, no_channel)

    @app_commands.command(name="moderator-role", description="Let a role use the moderator commands (empty: none)")
    @app_commands.describe(role="The role; leave empty to remove it")
    async def moderator_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        # only Manage Server may hand out moderator rights, never a moderator role holder
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise NotModerator()
        if role is not None:
            refusal = moderator_role_refusal(role, interaction.guild_id)
            if refusal is not None:
                raise InvalidInput(f"{refusal} The moderator role is not changed.")
        if self.bot.db is None:
            await self.bot.reply_message(interaction, "No database", NO_DATABASE.format(what="settings"))
            return
        await self.bot.db.execute(
            "INSERT INTO guild_settings (guild_id, moderator_role, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET moderator_role = excluded.moderator_role, "
            "updated_at = excluded.updated_at",
            (interaction.guild_id, role.id if role else None, time.time()),
        )
        default = self.bot.default_moderator_role
        text = (
            f"Members with the role {role.mention} can now use the moderator commands."
            if role
            else "This server's moderator role is removed: members with Manage Server can use the moderator "
            "commands"
            + (f", and so can the bot-wide role <@&{default}> (ALLIANCE_BOT_MODERATOR_ROLE)." if default else ".")
        )
        await self.bot.reply_message(interaction, "Moderator role", text)


class StatsCog(commands.Cog):
    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="stats", description="Moderators: usage, errors, latency, and what people asked that the digest lacks"
    )
    @app_commands.describe(days="How many days back (default 7)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def stats(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7) -> None:
        if self.bot.db is None:
            await self.bot.reply_message(interaction, "No database", NO_DATABASE.format(what="usage statistics"))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.bot.usage is not None:
            await self.bot.usage.flush()
        try:
            summary = await summarise(self.bot.db, days, guild_id=interaction.guild_id)
        except StatsTooSlow as exc:
            interaction.extras["outcome"] = "invalid_input"
            stats = command(mentions(self.bot, interaction.guild_id), "stats")
            await self.bot.reply_message(
                interaction,
                "Statistics stopped",
                f"{str(exc)[:1].upper()}{str(exc)[1:]}.\nTry {stats} with a smaller number of days, or ask the "
                "operator for `alliance-bot stats` on the host.",
            )
            return
        rendered = render_stats(summary, mentions(self.bot, interaction.guild_id))
        if not summary.total:
            await self.bot.send_rendered(interaction, rendered, ephemeral=True)
            return
        # the numbers as charts in the embed, the text still there (discord_ui/pictures.py)
        from alliance_bot.present.pictures.cache import usage_key
        from alliance_bot.present.pictures.charts import render_usage_png

        locale = str(interaction.locale.value) if interaction.locale else None
        await self.bot.answer_with_picture(
            interaction,
            rendered,
            usage_key(interaction.guild_id, summary, locale),
            lambda: render_usage_png(summary, locale=locale),
            what="usage",
            ephemeral=True,
        )
