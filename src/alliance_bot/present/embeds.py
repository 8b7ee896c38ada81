"""Embeds, the one entry point: `render(answer)` for the answer of any lookup, `render_message` for a notice; the
modules beside this one lay the embeds out by what they render: `limits` (Discord's limits, paging, `Rendered`),
`embed_answers` (the six lookups), `embed_help`, `embed_moderation` and `embed_anniversaries`.
"""

from __future__ import annotations

from alliance_bot.answers.model import (
    EventAnswer,
    FactAnswer,
    SourceAnswer,
    TimelineAnswer,
    TodayAnswer,
    TreatyAnswer,
    ViewpointsAnswer,
)
from alliance_bot.present.embed_answers import (
    render_event_card,
    render_fact,
    render_source,
    render_timeline,
    render_today,
    render_treaty,
    render_viewpoints,
)
from alliance_bot.present.limits import COLOUR_EMPTY, COLOUR_ERROR, FOOTER, Rendered, _Builder
from alliance_bot.present.markup import Mentions

__all__ = ["render", "render_message"]


def render_message(title: str, text: str, *, error: bool = False, ephemeral: bool = True) -> Rendered:
    b = _Builder(title, COLOUR_ERROR if error else COLOUR_EMPTY, FOOTER)
    b.describe(text)
    return Rendered(b.build(), ephemeral=ephemeral)


def render(answer: object, *, mentions: Mentions | None = None) -> Rendered:
    """An answer as embeds; `mentions` (command name -> `</name:id>`) makes the hints' commands clickable."""
    match answer:
        case TodayAnswer():
            return render_today(answer)
        case EventAnswer():
            return render_event_card(answer, mentions)
        case FactAnswer():
            return render_fact(answer, mentions)
        case TreatyAnswer():
            return render_treaty(answer, mentions)
        case ViewpointsAnswer():
            return render_viewpoints(answer, mentions)
        case TimelineAnswer():
            return render_timeline(answer)
        case SourceAnswer():
            return render_source(answer, mentions)
    raise TypeError(f"no embed form for {type(answer).__name__}")
