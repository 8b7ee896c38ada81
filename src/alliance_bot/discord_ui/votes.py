"""Was it useful? A 👍/👎 pair under fact, treaty and viewpoint answers.

The buttons keep no state in memory: their custom id says which answer they are for (`ab1:v:u:<key>`, the
key being `storage.votes.AnswerKey`: command, entry kind, entry id, a hash of the question), and the vote
goes to the database. So they work after a restart and for as long as the message exists, unlike the page
buttons (`send.PageStore`), and they stay on the message when the page buttons are removed at expiry.

A press is deferred at once (the database write must not eat Discord's three seconds), then answered only to
the voter: recorded, changed, or kept as it was. A custom id that is not exactly what this module builds
(forged, garbled, an entry no longer in the digest) is refused with a clear message and nothing is stored.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import discord

from alliance_bot.answers.model import Answer, FactAnswer, TreatyAnswer, ViewpointsAnswer
from alliance_bot.discord_ui.errors import handle_error
from alliance_bot.discord_ui.mentions import mentions
from alliance_bot.discord_ui.payload import field
from alliance_bot.present.markup import command
from alliance_bot.storage import votes
from alliance_bot.storage.db import DatabaseError
from alliance_bot.storage.usage import hash_user
from alliance_bot.storage.votes import DOWN, UP, AnswerKey

if TYPE_CHECKING:
    from alliance_bot.digest.result import Digest
    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it

PREFIX = "ab1:v:"  # the project's custom id scheme (send.PREFIX), action `v`
VOTE_ROW = 4  # the last of Discord's five action rows: below pages, menus and anything else on the answer
_VOTES = {"u": UP, "d": DOWN}


def answer_key(answer: Answer) -> AnswerKey | None:
    """The key of an answer people can vote on: a fact, treaty or viewpoints answer that answered (not a
    listing, a did-you-mean, or "the digest has nothing on it"); None for every other answer."""
    if isinstance(answer, FactAnswer) and answer.answered and answer.results:
        top = answer.results[0]
        return AnswerKey.make("fact", top.kind, top.id, answer.query)
    if isinstance(answer, TreatyAnswer) and answer.answered and not answer.ambiguous and answer.results:
        return AnswerKey.make("treaty", "treaty", answer.results[0].id, answer.query)
    if isinstance(answer, ViewpointsAnswer) and answer.answered and not answer.listing and answer.results:
        return AnswerKey.make("viewpoints", "viewpoint", answer.results[0].id, answer.query)
    return None


def custom_id(key: AnswerKey | str, vote: int) -> str:
    return f"{PREFIX}{'u' if vote == UP else 'd'}:{key}"


def parse(custom_id: str) -> tuple[int, AnswerKey] | None:
    """`ab1:v:u:f:e:armistice-signed:1a2b3c4d` -> (UP, the key); anything else -> None."""
    if not custom_id.startswith(PREFIX) or len(custom_id) > 100:
        return None
    vote, _, key_text = custom_id[len(PREFIX) :].partition(":")
    key = AnswerKey.parse(key_text)
    if vote not in _VOTES or key is None:
        return None
    return _VOTES[vote], key


def is_vote(custom_id: str) -> bool:
    return custom_id.startswith(PREFIX)


def add_vote_row(view: discord.ui.View | None, key: str | None) -> discord.ui.View | None:
    """The 👍/👎 pair on the answer's last row, added to `view` (or a new view when it is None); `view` as it
    was when `key` is None (an answer with no vote). The view is stopped, as `send.components_for`'s are: only
    its components are wanted, the clicks come to `on_interaction`."""
    parsed = AnswerKey.parse(key) if key else None
    if parsed is None:
        return view
    if view is None:
        view = discord.ui.View(timeout=None)
    for vote, emoji, label in ((UP, "👍", "Useful"), (DOWN, "👎", "Not useful")):
        view.add_item(
            discord.ui.Button(
                emoji=emoji,
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(parsed, vote),
                row=VOTE_ROW,
            )
        )
    view.stop()
    return view


def entry_exists(digest: Digest, key: AnswerKey) -> bool:
    tables: dict[str, Mapping[str, object]] = {
        "fact": digest.facts,
        "event": digest.events,
        "treaty": digest.treaties,
        "source": digest.sources,
        "viewpoint": digest.viewpoints,
    }
    return key.entry_id in tables[key.entry_kind_name]


async def on_interaction(bot: AllianceBot, interaction: discord.Interaction) -> None:
    """A press on a vote button (the bot's `on_interaction` sends those here, every other click to
    `components`): the same receipt time, in-flight tracking, load shedding and error path as other clicks."""
    interaction.extras.setdefault("t0", time.perf_counter())
    bot.in_flight.track(interaction)
    if bot.load.too_late(interaction):
        bot.load.shed(interaction)
        return
    try:
        await _on_vote(bot, interaction, str(field(interaction.data, "custom_id", "")))
    except Exception as exc:  # one path for errors, also for votes
        if not interaction.response.is_done() or not interaction.extras.get("recorded"):
            await handle_error(bot, interaction, exc)


async def _on_vote(bot: AllianceBot, interaction: discord.Interaction, raw: str) -> None:
    parsed = parse(raw)
    if parsed is None:
        bot.record(interaction, "invalid_input", command="vote", options={"custom_id": raw[:100]})
        await bot.reply_message(
            interaction,
            "Unknown button",
            "This button is not one the bot made, so nothing was recorded. Run the command again to get a "
            "fresh answer with working buttons.",
        )
        return
    vote, key = parsed
    options: dict[str, object] = {"vote": "up" if vote == UP else "down", "answer": str(key)}
    if not entry_exists(bot.store.answers.digest, key):
        bot.record(interaction, "invalid_input", command="vote", options=options)
        await bot.reply_message(
            interaction,
            "Answer no longer in the digest",
            "The entry this answer came from has been removed or renamed since, so the vote was not recorded. "
            f"Run {command(mentions(bot, interaction.guild_id), key.command_name)} again to see what the digest "
            "says now.",
        )
        return
    if bot.db is None:
        bot.record(interaction, "refused", command="vote", options=options)
        await bot.reply_message(
            interaction,
            "Votes not available",
            "This bot runs without a database, so it cannot keep votes; nothing was recorded.",
        )
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        result = await votes.cast(
            bot.db,
            key,
            hash_user(bot.hash_key, interaction.user.id) or "",
            vote,
            guild_id=interaction.guild_id,
        )
    except (sqlite3.Error, OSError, DatabaseError) as exc:  # locked, full, read-only: say so, keep nothing half-done
        log.warning("could not store a vote: %s: %s", type(exc).__name__, exc)
        bot.record(interaction, "error", command="vote", options=options)
        await bot.reply_message(
            interaction,
            "Vote not saved",
            "The bot could not save your vote just now: its database is busy or unavailable. Press the button "
            "again in a minute.",
            error=True,
        )
        return
    word = "useful" if vote == UP else "not useful"
    if result.previous is None:
        title, text = "Thanks for your vote", f"You marked this answer {word}. Press the other button to change it."
    elif result.changed:
        title, text = "Vote changed", f"You now mark this answer {word}; your earlier vote is replaced."
    else:
        title, text = "Vote kept", f"You had already marked this answer {word}; it stays that way, counted once."
    bot.record(interaction, "answered", command="vote", options=options)
    await bot.reply_message(interaction, title, text)
