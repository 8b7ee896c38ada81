"""The clicks on what `send` attached to an answer: page buttons (only the person who asked turns the pages),
the Sources button and link menus (anyone may open the quotes or the related entry, shown only to them; an
event opens its own card); and, at expiry, the removal of those
components from the message. A click on a token no longer known gets "this button has expired". Clicks take
the same path as commands: receipt time, in-flight tracking, load shedding, one usage row, the one error path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import discord

from alliance_bot.discord_ui import send, votes
from alliance_bot.discord_ui.errors import handle_error
from alliance_bot.discord_ui.mentions import mentions
from alliance_bot.discord_ui.payload import field
from alliance_bot.discord_ui.send import FOLLOWUP_BUDGET
from alliance_bot.present.embed_answers import render_source_quotes
from alliance_bot.present.embeds import render
from alliance_bot.present.limits import Link, Rendered

if TYPE_CHECKING:
    from alliance_bot.answers.model import Answer
    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it


async def on_interaction(bot: AllianceBot, interaction: discord.Interaction) -> None:
    """Every interaction passes here (the bot's `on_interaction`); components are handled, the rest left to
    the tree."""
    if interaction.type is not discord.InteractionType.component:
        return
    interaction.extras.setdefault("t0", time.perf_counter())
    bot.in_flight.track(interaction)
    if bot.load.too_late(interaction):
        bot.load.shed(interaction)
        return
    custom_id = str(field(interaction.data, "custom_id", ""))
    try:
        await _on_component(bot, interaction, custom_id)
    except Exception as exc:  # one path for errors, also for components
        if not interaction.response.is_done() or not interaction.extras.get("recorded"):
            await handle_error(bot, interaction, exc)


async def _on_component(bot: AllianceBot, interaction: discord.Interaction, custom_id: str) -> None:
    parsed = send.parse_custom_id(custom_id)
    entry = bot.pages.get(parsed[1]) if parsed else None
    if parsed is None or entry is None or parsed[0] == "noop":
        bot.record(interaction, "invalid_input", command="button", options={"custom_id": custom_id[:100]})
        await bot.reply_message(interaction, "This button has expired", "Run the command again to get fresh buttons.")
        return
    action, token, number = parsed
    if action == "src":  # anyone may open the quotes, shown only to them
        pages = entry.sources()
        if not pages:
            bot.record(interaction, "invalid_input", command=f"{entry.command} sources")
            await bot.reply_message(interaction, "No sources here", "This answer has no quotes behind it.")
            return
        await bot.send_rendered(interaction, Rendered(pages, ephemeral=True), ephemeral=True)
        bot.record(interaction, "answered", command=f"{entry.command} sources")
        return
    if action in ("pg", "pj"):
        if interaction.user.id != entry.owner_id:
            bot.record(interaction, "refused", command=f"{entry.command} page")
            await bot.reply_message(
                interaction,
                "Not your answer",
                "Only the person who asked can turn these pages. Run the command yourself to get your own copy.",
            )
            return
        if number is None or not 0 <= number < entry.page_count:
            bot.record(interaction, "invalid_input", command=f"{entry.command} page")
            await bot.reply_message(interaction, "This button has expired", "That page does not exist.")
            return
        entry.page = number
        await interaction.response.edit_message(
            embeds=send.to_embeds(entry.embeds(number)), view=send.components_for(entry, token, number)
        )
        bot.record(interaction, "answered", command=f"{entry.command} page", options={"page": number + 1})
        return
    # a link menu: anyone may open the related entry, shown only to them
    values = field(interaction.data, "values") or []
    link = send.link_target(entry, [str(v) for v in values] if isinstance(values, list) else [])
    if link is None:
        bot.record(interaction, "invalid_input", command="link")
        await bot.reply_message(interaction, "This menu has expired", "Run the command again.")
        return
    answers = bot.store.answers
    if link.command in ("event", "quotes"):
        rendered, found = _open_card(bot, link, interaction.guild_id)
        interaction.extras["outcome"] = "answered" if found else "nothing_found"
        await bot.send_rendered(interaction, rendered, ephemeral=True)
        bot.record(
            interaction,
            interaction.extras["outcome"],
            command=f"link {link.command}",
            options={"target": link.argument},
        )
        return
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
    await bot.send_rendered(interaction, bot.rendered(interaction, result), ephemeral=True)
    bot.record(
        interaction, interaction.extras["outcome"], command=f"link {link.command}", options={"target": link.argument}
    )


def _open_card(bot: AllianceBot, link: Link, guild_id: int | None) -> tuple[Rendered, bool]:
    """An event's own card, or the quotes a source gives one kind of entry (the source card's menu)."""
    answers = bot.store.answers
    hints = mentions(bot, guild_id)
    if link.command == "event":  # by id, or id@day: the anniversary as seen from that day
        card = answers.event(link.argument, now=bot.clock())
        if card.event is not None:
            return render(card, mentions=hints), True
        gone = answers.fact(link.argument.partition("@")[0])  # gone since: what the digest has
        return render(gone, mentions=hints), False
    source_id, _, kind = link.argument.partition(" ")
    found = answers.source(source_id)
    return render_source_quotes(found, kind, hints), found.found


async def remove_buttons(bot: AllianceBot, entry: send.PageEntry) -> None:
    """At expiry: edit the message without its components, through the interaction's webhook."""
    if entry.message_id is None or entry.webhook_token is None or entry.application_id is None:
        return
    if bot.pages.clock() - entry.created >= send.TOKEN_LIFETIME:
        return  # the token no longer works; the buttons answer "expired"
    webhook = discord.Webhook.partial(entry.application_id, entry.webhook_token, client=bot)
    try:
        # the vote pair stays: it works for as long as the message exists (votes.py)
        view = votes.add_vote_row(None, entry.vote_key)
        await asyncio.wait_for(webhook.edit_message(entry.message_id, view=view), timeout=FOLLOWUP_BUDGET)
    except (TimeoutError, discord.HTTPException, OSError) as exc:  # message deleted, Discord failing
        log.debug("could not remove expired buttons: %s", type(exc).__name__)
