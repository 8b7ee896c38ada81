"""Anniversary posts: the message a server gets on a day with anniversaries, a whole message in Discord's JSON
(content, embeds, allowed mentions) whose role mention is the only mention the bot ever makes, and the page of
`/anniversaries show`: the settings, when the next posts are due and what became of the last ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NotRequired, Protocol, TypedDict

from alliance_bot.digest.dates import MONTH_NAMES
from alliance_bot.digest.model import Event
from alliance_bot.present.limits import (
    COLOUR_ANSWER,
    EMBEDS_PER_MESSAGE,
    FOOTER,
    EmbedJson,
    Rendered,
    _Builder,
    escape_md,
)

# What is shown of the anniversaries' own types (this layer does not import the anniversaries package, which
# imports it): the items of `rules`, the settings and ledger rows of `ledger`.


class PostItem(Protocol):
    """One anniversary of a post (an `anniversaries.rules.AnniversaryItem`)."""

    @property
    def event(self) -> Event: ...
    @property
    def ordinal(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def source_label(self) -> str: ...


class Schedule(Protocol):
    """A server's settings (an `anniversaries.ledger.ServerSchedule`)."""

    @property
    def post_time(self) -> dt.time: ...
    @property
    def timezone(self) -> str: ...
    @property
    def channel_id(self) -> int | None: ...
    @property
    def webhook_url(self) -> str | None: ...
    @property
    def role_id(self) -> int | None: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def disabled_reason(self) -> str | None: ...


class DueAt(Protocol):
    """When a post is due (an `anniversaries.rules.Due`)."""

    @property
    def day(self) -> dt.date: ...
    @property
    def at(self) -> dt.datetime: ...


class PostRecord(Protocol):
    """A post in the ledger (an `anniversaries.ledger.LedgerRow`)."""

    @property
    def day(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str | None: ...


class AllowedMentionsJson(TypedDict):
    parse: list[str]
    roles: NotRequired[list[str]]


class AnniversaryPost(TypedDict):
    """A whole message as Discord's JSON: a webhook gets it as it is, the bot sends it field by field."""

    content: str | None
    embeds: list[EmbedJson]
    allowed_mentions: AllowedMentionsJson


def render_anniversary_post(
    items: Sequence[PostItem], day: dt.date, role_id: int | None = None, *, preview: bool = False
) -> AnniversaryPost:
    """The message for a day's anniversaries (`anniversaries.AnniversaryItem`s), as Discord's JSON.

    The role mention is the only mention the bot ever makes, and only here."""
    title = f"On this day: {MONTH_NAMES[day.month - 1]} {day.day}"
    b = _Builder(title, COLOUR_ANSWER, FOOTER)
    for item in items:
        ev = item.event
        head = f"{ev.date.human()} · {ev.title} ({item.ordinal} anniversary)"
        body = escape_md(item.message)
        if item.note:
            body = f"*({escape_md(item.note)})*\n{body}"
        cite = ev.citations[0]
        body += f"\n— *{escape_md(item.source_label or cite.source)}*: “{escape_md(cite.quote)}”"
        b.add(head, body)
    pages = b.build()
    embeds = [page[0] for page in pages][:EMBEDS_PER_MESSAGE]
    content = None
    if role_id is not None:
        content = f"<@&{int(role_id)}> Anniversaries today"
    if preview:
        content = (content or "") + ("\n" if content else "") + "*(preview: only you can see this)*"
    mentions: AllowedMentionsJson = {"parse": []}
    if role_id is not None and not preview:
        mentions["roles"] = [str(int(role_id))]
    return {"content": content, "embeds": embeds, "allowed_mentions": mentions}


def render_anniversary_settings(
    title: str,
    schedule: Schedule | None,
    webhook_masked: str | None,
    upcoming: Sequence[tuple[DueAt, Sequence[str]]],
    recent: Sequence[PostRecord],
    *,
    paused: str | None = None,
) -> Rendered:
    """`/anniversaries show`: settings, the next posts with their local times, the last posts and failures.

    `paused`: why posts that are on are not being made (the scheduler's reason).
    """
    b = _Builder(title, COLOUR_ANSWER, FOOTER)
    if schedule is None:
        b.describe("Not set up. `/anniversaries set` chooses the channel, the local time and the time zone.")
        return Rendered(b.build(), ephemeral=True)
    state = "on" if schedule.enabled else f"off ({escape_md(schedule.disabled_reason or 'switched off')})"
    if schedule.enabled and paused:
        state = "paused"
    where = f"webhook {webhook_masked}" if schedule.webhook_url else f"<#{schedule.channel_id}>"
    b.describe(
        f"Posts are **{state}**: {where} at {schedule.post_time:%H:%M} {schedule.timezone}"
        + (f", mentioning <@&{schedule.role_id}>" if schedule.role_id else "")
        + "."
    )
    if schedule.enabled and paused:
        b.add("Why no posts are made", escape_md(paused))
    if upcoming:
        lines = []
        for due, titles in upcoming:
            lines.append(
                f"<t:{int(due.at.timestamp())}:F> ({due.day:%B} {due.day.day}, {schedule.post_time:%H:%M} "
                f"{schedule.timezone}): {escape_md('; '.join(titles))}"
            )
        b.add("Next posts", "\n".join(lines))
    if recent:
        lines = []
        for row in recent:
            line = f"{row.day} `{row.event_id}`: **{row.status}**"
            if row.error and row.status != "sent":
                line += f" ({escape_md(row.error)[:200]})"
            lines.append(line)
        b.add("Last posts and failures", "\n".join(lines))
    return Rendered(b.build(), ephemeral=True)
