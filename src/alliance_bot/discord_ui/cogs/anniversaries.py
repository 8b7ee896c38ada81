"""/anniversaries set|show|preview|off, and the delivery of scheduled posts to channels or webhooks."""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from alliance_bot.anniversaries.ledger import AnniversaryStore, ServerSchedule
from alliance_bot.anniversaries.rules import items_on, parse_post_time, post_day
from alliance_bot.anniversaries.scheduler import Deliverer, Scheduler
from alliance_bot.anniversaries.webhook import DeliveryError, InvalidWebhook, WebhookSender, mask, validate_webhook_url
from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.userdates import parse_day
from alliance_bot.answers.zones import ZoneError, load_zone, zone_names
from alliance_bot.discord_ui.checks import moderator_only
from alliance_bot.discord_ui.recording import secret_options
from alliance_bot.present.embed_anniversaries import (
    AnniversaryPost,
    render_anniversary_post,
    render_anniversary_settings,
)

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot


@lru_cache(maxsize=1)
def _zones() -> list[str]:
    return sorted(z for z in zone_names() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def make_deliverer(bot: AllianceBot, webhooks: WebhookSender | None) -> Deliverer:
    async def deliver(schedule: ServerSchedule, payload: AnniversaryPost, nonce: str | None) -> str | None:
        if schedule.webhook_url:
            if webhooks is None:
                raise DeliveryError("webhook delivery is not available in this process", permanent=True)
            return (await webhooks.send(schedule.webhook_url, payload)).message_id
        if schedule.channel_id is None:
            raise DeliveryError("no channel is set: use /anniversaries set", permanent=True)
        channel = bot.get_partial_messageable(schedule.channel_id, guild_id=schedule.guild_id)
        roles = payload["allowed_mentions"].get("roles") or []
        mentions = discord.AllowedMentions(
            everyone=False, users=False, replied_user=False, roles=[discord.Object(int(r)) for r in roles]
        )
        try:
            message = await channel.send(
                content=payload["content"],
                embeds=[discord.Embed.from_dict(e) for e in payload["embeds"]],
                allowed_mentions=mentions,
                nonce=nonce,  # type: ignore[arg-type]  # discord.py's overloads omit the None its send() takes
            )
        except discord.Forbidden:
            raise DeliveryError(
                f"the bot may not post in <#{schedule.channel_id}>: give it View Channel, Send "
                f"Messages and Embed Links there",
                permanent=True,
                status=403,
            ) from None
        except discord.NotFound:
            raise DeliveryError(
                f"channel {schedule.channel_id} not found (deleted?): set another one", permanent=True, status=404
            ) from None
        except discord.HTTPException as exc:
            retry = exc.status >= 500 or exc.status == 429
            raise DeliveryError(
                f"Discord answered {exc.status}: {exc.text[:150]}", permanent=not retry, status=exc.status
            ) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"network error: {type(exc).__name__}", permanent=False) from None
        return str(message.id)

    return deliver


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AnniversariesCog(
    commands.GroupCog, group_name="anniversaries", group_description="Moderators: scheduled anniversary posts"
):
    def __init__(
        self,
        bot: AllianceBot,
        store: AnniversaryStore,
        scheduler: Scheduler,
        *,
        default_timezone: str = "Asia/Seoul",
        start_scheduler: bool = True,
    ) -> None:
        self.bot = bot
        self.store = store
        self.scheduler = scheduler
        self.default_timezone = default_timezone
        self._task: asyncio.Task[None] | None = None
        self.start_scheduler = start_scheduler
        super().__init__()

    async def cog_load(self) -> None:
        # once per process: setup_hook loads cogs once; on_ready (every reconnect) never starts it
        if not self.start_scheduler:
            return
        self._task = self.bot.spawn(
            self.scheduler.run_forever(before_first_tick=self.bot.wait_until_ready), name="anniversary-scheduler"
        )
        self.bot.store.listeners.append(self.scheduler.rebuild)

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.scheduler.close()

    @secret_options("webhook")  # its token: never in the usage log
    @app_commands.command(name="set", description="Post anniversaries to a channel at a local time")
    @app_commands.describe(
        channel="Where to post",
        time="Local time of day, HH:MM (24-hour), e.g. 09:00",
        timezone="IANA time zone, e.g. Asia/Seoul or America/New_York",
        role="A role to mention in the posts (optional)",
        webhook="Post through this Discord webhook URL instead of as the bot (optional)",
    )
    @moderator_only()
    async def set_(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        time: app_commands.Range[str, 1, 10] = "09:00",
        timezone: app_commands.Range[str, 1, 64] | None = None,
        role: discord.Role | None = None,
        webhook: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        post_time = parse_post_time(time)
        zone = load_zone(timezone or self.default_timezone)
        url = None
        if webhook:
            try:
                url = validate_webhook_url(webhook)
            except InvalidWebhook as exc:
                raise InvalidInput(str(exc)) from None
        if channel is None and url is None and interaction.channel_id is None:
            raise InvalidInput("name a channel (or a webhook) for the posts")
        channel_id = channel.id if channel else (None if url else interaction.channel_id)
        schedule = ServerSchedule(
            guild_id=interaction.guild_id or 0,
            post_time=post_time,
            timezone=zone.key,
            channel_id=channel_id,
            webhook_url=url,
            role_id=role.id if role else None,
        )
        await self.store.save(schedule)
        self.scheduler.update(schedule)
        await self._show(interaction, "Anniversary posts are on")

    @set_.autocomplete("timezone")
    async def _tz_ac(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        needle = current.lower().replace(" ", "_")
        zones = [z for z in _zones() if needle in z.lower()][:25]
        self.bot.record(interaction, "answered", kind="autocomplete")
        return [app_commands.Choice(name=z, value=z) for z in zones]

    @app_commands.command(name="show", description="The settings, the next posts and the last post or failure")
    @moderator_only()
    async def show(self, interaction: discord.Interaction) -> None:
        await self._show(interaction, "Anniversary posts")

    async def _show(self, interaction: discord.Interaction, title: str) -> None:
        gid = interaction.guild_id or 0
        schedule = await self.store.get(gid)
        upcoming = self.scheduler.upcoming(gid, 3) if schedule and schedule.enabled else []
        paused = self.scheduler.paused(gid) if schedule and schedule.enabled else None
        digest = self.bot.store.current.digest
        upcoming_items = [(d, [i.event.title for i in items_on(digest, d.day)]) for d in upcoming]
        recent = await self.store.recent(gid, 8, target=schedule.target if schedule else None)
        await self.bot.send_rendered(
            interaction,
            render_anniversary_settings(
                title, schedule, mask(schedule.webhook_url) if schedule else None, upcoming_items, recent, paused=paused
            ),
            ephemeral=True,
        )

    @app_commands.command(name="preview", description="See a day's anniversary post as it will look (only you)")
    @app_commands.describe(date="07-27, July 27… (default: the next day with anniversaries)")
    @moderator_only()
    async def preview(
        self, interaction: discord.Interaction, date: app_commands.Range[str, 1, 40] | None = None
    ) -> None:
        gid = interaction.guild_id or 0
        schedule = await self.store.get(gid)
        try:
            zone = load_zone(schedule.timezone if schedule else self.default_timezone)
        except ZoneError:  # a stored zone that no longer loads (posts paused, see /anniversaries show)
            zone = load_zone(self.default_timezone)
        today = self.scheduler.clock().astimezone(zone).date()
        digest = self.bot.store.current.digest
        if date:
            q = parse_day(date)
            day = post_day(q.month, q.day, q.year, today)  # the next one: from December, January's is next year's
        else:
            upcoming = self.scheduler.upcoming(gid, 1) if schedule and schedule.enabled else []
            day = (
                upcoming[0].day
                if upcoming
                else next(
                    (
                        today + dt.timedelta(days=n)
                        for n in range(366)
                        if items_on(digest, today + dt.timedelta(days=n))
                    ),
                    today,
                )
            )
        items = items_on(digest, day)
        if not items:
            await self.bot.reply_message(
                interaction,
                "No anniversary post",
                f"No anniversary in the digest falls on {day:%B} {day.day}; nothing would be posted that day.",
            )
            return
        payload = render_anniversary_post(items, day, schedule.role_id if schedule else None, preview=True)
        interaction.extras["outcome"] = "answered"
        await interaction.response.send_message(
            content=payload["content"],
            embeds=[discord.Embed.from_dict(e) for e in payload["embeds"]],
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="off", description="Stop the anniversary posts in this server")
    @moderator_only()
    async def off(self, interaction: discord.Interaction) -> None:
        gid = interaction.guild_id or 0
        await self.store.disable(gid, "switched off by a moderator")
        self.scheduler.update(None, gid)
        await self.bot.reply_message(
            interaction,
            "Anniversary posts are off",
            "No more posts will be made. `/anniversaries set` turns them on again.",
        )
