"""The reader's commands: /today /treaty /fact /viewpoints /timeline /source /help /about.

Each one parses its options, asks the core (in memory, well under a
millisecond), and sends what presentation built: no I/O before the response,
so no deferral is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from alliance_bot import __version__
from alliance_bot.discord_ui.mentions import mentions
from alliance_bot.present.embed_help import render_about, render_help
from alliance_bot.present.embeds import render

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

Text = app_commands.Range[str, 1, 200]


def _choices(
    bot: AllianceBot, interaction: discord.Interaction, option: str, current: str
) -> list[app_commands.Choice[str]]:
    choices = bot.store.answers.autocomplete(option, current or "")
    bot.record(interaction, "answered", kind="autocomplete")
    return [app_commands.Choice(name=c.name, value=c.value) for c in choices]


class ReferenceCog(commands.Cog):
    def __init__(self, bot: AllianceBot) -> None:
        self.bot = bot

    @app_commands.command(name="today", description="What happened on this day in the history of the US–ROK alliance")
    @app_commands.describe(date="Another day: 07-27, July 27, 27 July or 2026-07-27 (default: today)")
    async def today(self, interaction: discord.Interaction, date: Text | None = None) -> None:
        await self.bot.answer(interaction, self.bot.store.answers.today(date, now=self.bot.clock()))

    @today.autocomplete("date")
    async def _today_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self.bot, interaction, "today", current)

    @app_commands.command(name="treaty", description="A treaty, agreement or bill: summary, provisions and sources")
    @app_commands.describe(name="Name, abbreviation (MDT, KORUS, SMA…) or year; leave empty to list them")
    async def treaty(self, interaction: discord.Interaction, name: Text | None = None) -> None:
        await self.bot.answer(interaction, self.bot.store.answers.treaty(name or ""))

    @treaty.autocomplete("name")
    async def _treaty_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self.bot, interaction, "treaty", current)

    @app_commands.command(name="fact", description="Look up facts and figures, with their sources")
    @app_commands.describe(query="What you want to know, e.g. how many US troops are in Korea")
    async def fact(self, interaction: discord.Interaction, query: Text) -> None:
        await self.bot.answer(interaction, self.bot.store.answers.fact(query))

    @fact.autocomplete("query")
    async def _fact_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self.bot, interaction, "fact", current)

    @app_commands.command(name="viewpoints", description="The positions on a debated topic, side by side")
    @app_commands.describe(topic="A topic, e.g. cost sharing or wartime OPCON; leave empty to list them")
    async def viewpoints(self, interaction: discord.Interaction, topic: Text | None = None) -> None:
        await self.bot.answer(interaction, self.bot.store.answers.viewpoints(topic or ""))

    @viewpoints.autocomplete("topic")
    async def _viewpoints_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self.bot, interaction, "viewpoints", current)

    @app_commands.command(name="timeline", description="Events in order, between two years or dates")
    @app_commands.rename(start="from", end="to")
    @app_commands.describe(
        start="First year or date, e.g. 1950 or 1950-06",
        end="Last year or date, e.g. 1953",
        tag="Only events with this tag, e.g. provocation",
    )
    async def timeline(
        self,
        interaction: discord.Interaction,
        start: app_commands.Range[str, 1, 20] | None = None,
        end: app_commands.Range[str, 1, 20] | None = None,
        tag: app_commands.Range[str, 1, 50] | None = None,
    ) -> None:
        result = self.bot.store.answers.timeline(start, end, tag)
        if not result.found:
            await self.bot.answer(interaction, result)
            return
        # the events as a picture in the embed, the text list still under it (discord_ui/pictures.py)
        from alliance_bot.present.pictures.cache import timeline_key
        from alliance_bot.present.pictures.timeline_image import render_timeline_png

        interaction.extras["outcome"] = "answered"
        today = self.bot.clock().astimezone(self.bot.store.answers.tz).date()
        locale = str(interaction.locale.value) if interaction.locale else None
        key = timeline_key(self.bot.store.current.digest.version, result, locale, today)
        await self.bot.answer_with_picture(
            interaction,
            render(result),
            key,
            lambda: render_timeline_png(result, today=today, locale=locale),
            what="timeline",
        )

    @timeline.autocomplete("tag")
    async def _tag_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self.bot, interaction, "tag", current)

    @app_commands.command(name="source", description="A source document: who wrote it, its perspective, what we cite")
    @app_commands.describe(source="Source id, author or title; leave empty to list them")
    async def source(self, interaction: discord.Interaction, source: Text | None = None) -> None:
        await self.bot.answer(interaction, self.bot.store.answers.source(source or ""))

    @source.autocomplete("source")
    async def _source_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(self.bot, interaction, "source", current)

    @app_commands.command(name="help", description="What this bot can do and how to ask")
    async def help(self, interaction: discord.Interaction) -> None:
        interaction.extras["outcome"] = "answered"
        await self.bot.send_rendered(interaction, render_help(mentions(self.bot, interaction.guild_id)))

    @app_commands.command(name="about", description="About this bot and its content")
    async def about(self, interaction: discord.Interaction) -> None:
        lib = self.bot.store.current
        interaction.extras["outcome"] = "answered"
        await self.bot.send_rendered(
            interaction,
            render_about(
                __version__,
                lib.digest.counts(),
                lib.digest.version,
                lib.loaded_at,
                [s.title for s in lib.digest.sources.values()],
            ),
        )
