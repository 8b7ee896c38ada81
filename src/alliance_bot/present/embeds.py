"""Embeds, the one entry point: `render(answer)` for the answer of any lookup, `render_message` for a notice; the
modules beside this one lay the embeds out by what they render: `limits` (Discord's limits, paging, `Rendered`),
`embed_answers` (the six lookups), `embed_help`, `embed_moderation` and `embed_anniversaries`.
"""

from __future__ import annotations

from alliance_bot.answers.model import (
    FactAnswer,
    SourceAnswer,
    TimelineAnswer,
    TodayAnswer,
    TreatyAnswer,
    ViewpointsAnswer,
)
from alliance_bot.present.embed_anniversaries import render_anniversary_post
from alliance_bot.present.embed_answers import (
    render_fact,
    render_source,
    render_timeline,
    render_today,
    render_treaty,
    render_viewpoints,
)
from alliance_bot.present.embed_moderation import render_reload, render_stats, render_status
from alliance_bot.present.limits import COLOUR_EMPTY, COLOUR_ERROR, FOOTER, Rendered, _Builder, escape_md

__all__ = ["render", "render_message"]
# Until cli.py, discord_ui/bot.py and discord_ui/cogs/moderation.py (which another change is editing) import these
# from their modules, they can be imported from here too; nothing else may: delete this line with that change.
__all__ += ["Rendered", "escape_md", "render_anniversary_post", "render_reload", "render_stats", "render_status"]


def render_message(title: str, text: str, *, error: bool = False, ephemeral: bool = True) -> Rendered:
    b = _Builder(title, COLOUR_ERROR if error else COLOUR_EMPTY, FOOTER)
    b.describe(text)
    return Rendered(b.build(), ephemeral=ephemeral)


def render(answer: object) -> Rendered:
    match answer:
        case TodayAnswer():
            return render_today(answer)
        case FactAnswer():
            return render_fact(answer)
        case TreatyAnswer():
            return render_treaty(answer)
        case ViewpointsAnswer():
            return render_viewpoints(answer)
        case TimelineAnswer():
            return render_timeline(answer)
        case SourceAnswer():
            return render_source(answer)
    raise TypeError(f"no embed form for {type(answer).__name__}")
