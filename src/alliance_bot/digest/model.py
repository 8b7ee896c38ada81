"""The content schema: what a moderator may write in `content/*.yaml`.

Pydantic models in strict mode, so that a value YAML silently turned into a
boolean, a number or a date is refused instead of stringified. Length limits
keep every entry renderable inside Discord's embed limits (a field value holds
1,024 characters, a description 4,096), with room for the citations beside it.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema

from alliance_bot.digest.dates import PartialDate

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)]


def _to_partial_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.datetime):
        raise ValueError("a date, not a date and time, is expected: write YYYY-MM-DD")
    if isinstance(value, dt.date):  # an unquoted 1953-07-27 in a date field is what was meant
        return PartialDate.from_date(value)
    if isinstance(value, int) and not isinstance(value, bool):  # unquoted year: 1987
        return PartialDate.parse(str(value))
    if isinstance(value, str):
        return PartialDate.parse(value)
    raise ValueError("a date is expected: write YYYY-MM-DD, YYYY-MM or YYYY in quotes")


DateText = Annotated[
    PartialDate,
    BeforeValidator(_to_partial_date),
    PlainSerializer(lambda d: d.iso(), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
                    "description": "YYYY-MM-DD (day), YYYY-MM (month) or YYYY (year)"}),
]

# Limits, in characters. Each keeps the rendered entry inside one embed field
# (1,024) or description (4,096) together with its label and citations.
QUOTE_MAX = 300
TITLE_MAX = 200
SUMMARY_MAX = 1000
POSITION_SUMMARY_MAX = 700
STATEMENT_MAX = 500
ALIAS_MAX = 100
LABEL_MAX = 80
QUESTION_MAX = 300
MESSAGE_MAX = 500


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


SourceKind = Literal["op-ed", "essay", "news-report"]


class Source(_Entry):
    id: Slug
    title: _text(300)
    author: _text(200) | None = None
    outlet: _text(200) | None = None
    published: DateText | None = None
    published_note: _text(500) | None = None
    kind: SourceKind
    perspective: _text(500)
    text: _text(300) = Field(description="path of the document's full text, relative to the content folder")
    url: _text(500) | None = None


class Citation(_Entry):
    source: Slug = Field(description="id of a source")
    quote: _text(QUOTE_MAX) = Field(description="a short verbatim extract of the source's text")


Citations = Annotated[list[Citation], Field(min_length=1)]
Tags = Annotated[list[Slug], Field(default_factory=list)]


class Event(_Entry):
    id: Slug
    date: DateText
    date_note: _text(500) | None = None
    title: _text(TITLE_MAX)
    summary: _text(SUMMARY_MAX)
    tags: Tags
    citations: Citations


TreatyKind = Literal["treaty", "agreement", "armistice", "minutes", "bill", "declaration", "plan"]
DateKind = Literal["signed", "agreed", "established", "proposed", "introduced"]


class Treaty(_Entry):
    id: Slug
    name: _text(TITLE_MAX)
    aliases: Annotated[list[_text(ALIAS_MAX)], Field(default_factory=list)]
    kind: TreatyKind
    date: DateText | None = None
    date_kind: DateKind = "signed"
    date_note: _text(500) | None = None
    parties: Annotated[list[_text(100)], Field(min_length=1)]
    status: _text(200)
    summary: _text(SUMMARY_MAX)
    provisions: Annotated[list[_text(300)], Field(default_factory=list, max_length=10)]
    significance: _text(SUMMARY_MAX) | None = None
    related_events: Annotated[list[Slug], Field(default_factory=list)]
    tags: Tags
    citations: Citations


class Fact(_Entry):
    id: Slug
    statement: _text(STATEMENT_MAX)
    keywords: Annotated[list[_text(ALIAS_MAX)], Field(default_factory=list)]
    group: Slug | None = Field(
        default=None,
        description="facts answering the same question differently, from different sources, share a group",
    )
    related: Annotated[list[Slug], Field(default_factory=list)]
    tags: Tags
    citations: Citations


class Position(_Entry):
    label: _text(LABEL_MAX)
    summary: _text(POSITION_SUMMARY_MAX)
    citations: Citations


class Viewpoint(_Entry):
    id: Slug
    topic: _text(100)
    question: _text(QUESTION_MAX)
    keywords: Annotated[list[_text(ALIAS_MAX)], Field(default_factory=list)]
    related: Annotated[list[Slug], Field(default_factory=list)]
    positions: Annotated[list[Position], Field(min_length=2, max_length=6)]


ANNIVERSARY_FIELDS = frozenset({"year", "years", "ordinal", "title"})


def message_placeholders(message: str) -> set[str]:
    """The `{name}` placeholders of a template; raises ValueError on broken braces."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


class Anniversary(_Entry):
    event: Slug = Field(description="id of a day-precision event")
    message: _text(MESSAGE_MAX) = Field(description="wording; may use {year}, {years}, {ordinal}, {title}")


KINDS: dict[str, type[_Entry]] = {
    "sources": Source,
    "events": Event,
    "treaties": Treaty,
    "facts": Fact,
    "viewpoints": Viewpoint,
    "anniversaries": Anniversary,
}


class ContentFile(BaseModel):
    """One content file: any of the kinds, each a list (used for the JSON Schema)."""

    model_config = ConfigDict(extra="forbid", title="alliance_bot content file")
    sources: list[Source] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    treaties: list[Treaty] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    viewpoints: list[Viewpoint] = Field(default_factory=list)
    anniversaries: list[Anniversary] = Field(default_factory=list)
