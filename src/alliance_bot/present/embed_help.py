"""The bot's pages about itself, for everyone: /help (what each command does) and /about (the content served)."""

from __future__ import annotations

from alliance_bot.present.limits import COLOUR_ANSWER, FOOTER, Rendered, _Builder, escape_md
from alliance_bot.present.markup import Mentions, code, command

# (what it is for, the command, its options as typed, what it does)
HELP_LINES = (
    ("On this day", "today", "[date]", "What happened on this day (or any day: 07-27, July 27, 27 July)."),
    ("Treaties", "treaty", "[name]", "A treaty or agreement: MDT, armistice, KORUS, SMA… Type for suggestions."),
    (
        "Facts and figures",
        "fact",
        "query",
        "Troop numbers, casualties, trade, dates. Where sources disagree, both figures are shown.",
    ),
    ("Debates", "viewpoints", "[topic]", "The positions on a debated topic side by side, each with its sources."),
    ("Timeline", "timeline", "[from] [to] [tag]", "Events in order, e.g. from 1950 to 1953."),
    ("Sources", "source", "[source]", "The documents behind the digest, their perspective, what we cite from them."),
)
MODERATOR_COMMANDS = (
    "content reload",
    "content status",
    "content moderator-role",
    "stats",
    "anniversaries set",
    "anniversaries show",
    "anniversaries preview",
    "anniversaries off",
)


def render_help(mentions: Mentions | None = None) -> Rendered:
    """What each command does; each command a clickable mention when its id is known (`mentions`), else
    `/name` as text."""
    b = _Builder("alliance_bot: the US–ROK alliance, with sources", COLOUR_ANSWER, FOOTER)
    b.describe(
        "Every answer comes from a digest of source documents and shows the quote it rests on. Click a "
        "command to start it."
    )
    for title, name, options, text in HELP_LINES:
        b.add(title, f"{command(mentions, name)} {code(options)}: {text}")
    b.add("Moderators", " · ".join(command(mentions, name) for name in MODERATOR_COMMANDS))
    return Rendered(b.build(), ephemeral=True)


def render_about(
    version: str, counts: dict[str, int], content_version: str, loaded_at: float, source_titles: list[str]
) -> Rendered:
    b = _Builder("About alliance_bot", COLOUR_ANSWER, FOOTER)
    b.describe(
        "A reader's guide to the history and live debates of the US–Republic of Korea alliance, built from "
        "a curated, cited digest. It takes no side: debates are shown side by side."
    )
    b.add("Version", version, inline=True)
    b.add(
        "Content",
        ", ".join(f"{n} {k}" for k, n in counts.items())
        + f"\nversion `{content_version}`, loaded <t:{int(loaded_at)}:R>",
    )
    b.add("Sources", "\n".join(f"• {escape_md(t)}" for t in source_titles))
    return Rendered(b.build(), ephemeral=True)
