"""What /today, an event's card and /timeline say of an event, as plain phrases: the embed (embed_answers.py)
and the terminal (text.py) say the same, each in its own markup.

/today is compact: at most `TODAY_ITEMS` one-line items (year · title · which anniversary), the first with one
quote, the month's events dated only to the month and the nearest days as short lines; the details are one
click (or `ask event ID`) away, on the event's card.
"""

from __future__ import annotations

from collections.abc import Iterable

from alliance_bot.answers.model import EventView, TodayAnswer
from alliance_bot.digest.dates import MONTH_NAMES, PartialDate, ordinal
from alliance_bot.present.limits import _one_line

TODAY_ITEMS = 5  # one-line items of the day on the first message
TODAY_MONTH_LINES = 3  # of the month's events dated only to the month
TODAY_NEAREST = 2  # events shown of each nearest day
ITEM_TITLE_MAX = 100  # an item's title, cut at a word beyond this (the card has it whole)
LEAD_QUOTE_MAX = 180  # the first item's quote, cut visibly beyond this (the card has it whole)
MENU_LABEL_MAX = 40  # a menu option's label, cut at a word to fit a phone's width (the card has the title whole)


# After a date that the document does not state outright but that was worked out from what it says (an event
# with a `date_note`: "this spring" in an essay of July 2023), in every list; the event's card gives the note.
WORKED_OUT = "†"
WORKED_OUT_NOTE = "† A date worked out from what the document says, not stated in it; its card says how."


def when_label(date: PartialDate) -> str:
    """`July 27, 1953`, `In March 2010`, `During 1953`: at the start of a line."""
    text = date.when()
    return text[:1].upper() + text[1:]


def mark(e: EventView) -> str:
    """`†` after the date of an event whose date was worked out (see WORKED_OUT), else nothing."""
    return WORKED_OUT if e.date_note else ""


def today_shown(a: TodayAnswer) -> list[EventView]:
    """The events /today shows on its first message: the day's items, the month's lines, or the nearest days."""
    nearest = [] if a.events else [*a.nearest_before[:TODAY_NEAREST], *a.nearest_after[:TODAY_NEAREST]]
    return [*a.events[:TODAY_ITEMS], *a.month_events[:TODAY_MONTH_LINES], *nearest]


def worked_out_note(events: Iterable[EventView]) -> str | None:
    """The line that explains `†`, when one of the events shown carries it."""
    return WORKED_OUT_NOTE if any(e.date_note for e in events) else None


def day_name(month: int, day: int) -> str:
    return f"{MONTH_NAMES[month - 1]} {day}"


def today_title(a: TodayAnswer, lead: str = "On this day") -> str:
    """`On this day: July 27`, with the year when it is not this year's."""
    title = f"{lead}: {day_name(a.month, a.day)}"
    if a.today is not None and a.reference_year != a.today.year:
        title += f", {a.reference_year}"
    return title


def empty_line(a: TodayAnswer) -> str:
    """What an empty day says: the digest has nothing on it, not that nothing happened."""
    return f"The digest has no event on {day_name(a.month, a.day)}."


def anniversary_phrase(e: EventView, *, today: bool = False, with_year: bool = False) -> str | None:
    """`73rd anniversary`, `… today`, `… in 2027`; None for an event that brings none (dated only to a month or
    year, or itself an anniversary)."""
    if e.anniversary_number is None:
        return None
    text = f"{ordinal(e.anniversary_number)} anniversary"
    if today:
        text += " today"
    elif with_year and e.marked_on is not None:
        text += f" in {e.marked_on.year}"
    return text


def item_parts(e: EventView, *, today: bool = False, with_year: bool = False) -> list[str]:
    """The pieces of a one-line item: year, title (cut), which anniversary (and its note)."""
    parts = [f"{e.date.year}{mark(e)}", _one_line(e.title, ITEM_TITLE_MAX)]
    phrase = anniversary_phrase(e, today=today, with_year=with_year)
    if phrase:
        parts.append(phrase + (f" ({e.note})" if e.note else ""))
    return parts


def more_line(hidden: int, where: str) -> str:
    return f"…and {hidden} more {where}."


def card_anniversary(e: EventView, is_today: bool) -> str | None:
    """On an event's card: `73rd anniversary today` or `74th anniversary on July 27, 2027`."""
    if e.anniversary_number is None or e.marked_on is None:
        return None
    if is_today:
        return f"{ordinal(e.anniversary_number)} anniversary today"
    on = e.marked_on
    return f"{ordinal(e.anniversary_number)} anniversary on {day_name(on.month, on.day)}, {on.year}"


def event_target(e: EventView) -> str:
    """What a link to the event's card carries: its id and the day it is seen from (`armistice-signed@2026-07-27`)."""
    return f"{e.id}@{e.marked_on.isoformat()}" if e.marked_on is not None else e.id
