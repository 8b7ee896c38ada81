"""Small pieces of Discord markdown the renderers share: code spans and command mentions.

A code span shows its text as it is: Discord applies no escaping inside backticks, so a backslash put there
by `escape_md` would show (`related\\[1\\]`). `code()` leaves the text alone and only makes sure it cannot
end the span early: a backtick inside becomes the look-alike ˋ (U+02CB), a line break a space.

A command mention (`</today:123>`) is clickable in Discord and opens the command; it needs the id Discord gave
the command when it was registered. The Discord layer knows those ids (discord_ui/tree.py) and hands the
renderers a `Mentions` mapping of command name (`today`, `content reload`) to mention; `command()` falls back
to the plain `/today` for a name the mapping lacks (commands never synced, an id not fetched yet).
"""

from __future__ import annotations

from collections.abc import Mapping

Mentions = Mapping[str, str]  # "content reload" -> "</content reload:123>"

NO_MENTIONS: Mentions = {}


def code(text: str) -> str:
    """`text` as an inline code span that shows it verbatim and cannot break out of its backticks."""
    text = " ".join(text.replace("`", "\u02cb").splitlines()) or " "
    return f"`{text}`"


def command(mentions: Mentions | None, name: str) -> str:
    """The clickable mention of /`name` when its id is known, else `/name` as text."""
    return (mentions or NO_MENTIONS).get(name) or f"/{name}"
