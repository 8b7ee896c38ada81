"""The content schema: what a moderator may write in `content/*.yaml`.

Pydantic models in strict mode, so that a value YAML silently turned into a
boolean, a number or a date is refused instead of stringified. Length limits
keep every entry renderable inside Discord's embed limits (a field value holds
1,024 characters, a description 4,096), with room for the citations beside it.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema

from alliance_bot.digest.dates import PartialDate

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]


def _to_partial_date(value: object) -> PartialDate:
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
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
            "description": "YYYY-MM-DD (day), YYYY-MM (month) or YYYY (year)",
        }
    ),
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
SOURCE_TITLE_MAX = 300
NAME_MAX = 200  # a source's author or outlet
NOTE_MAX = 500  # a note beside a date
PERSPECTIVE_MAX = 500
PATH_MAX = 300
URL_MAX = 500
PARTY_MAX = 100
STATUS_MAX = 200
PROVISION_MAX = 300
TOPIC_MAX = 100
SHORT_MAX = 24  # a source's short label, named inline beside every quote ("DeTrani 2025")


def _text(max_length: int) -> StringConstraints:
    """Text trimmed of surrounding whitespace, then 1 to `max_length` characters long."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


QuoteText = Annotated[str, _text(QUOTE_MAX)]
TitleText = Annotated[str, _text(TITLE_MAX)]
SummaryText = Annotated[str, _text(SUMMARY_MAX)]
PositionSummaryText = Annotated[str, _text(POSITION_SUMMARY_MAX)]
StatementText = Annotated[str, _text(STATEMENT_MAX)]
AliasText = Annotated[str, _text(ALIAS_MAX)]  # a treaty's alias, or a keyword
LabelText = Annotated[str, _text(LABEL_MAX)]
QuestionText = Annotated[str, _text(QUESTION_MAX)]
MessageText = Annotated[str, _text(MESSAGE_MAX)]
SourceTitleText = Annotated[str, _text(SOURCE_TITLE_MAX)]
NameText = Annotated[str, _text(NAME_MAX)]
NoteText = Annotated[str, _text(NOTE_MAX)]
PerspectiveText = Annotated[str, _text(PERSPECTIVE_MAX)]
PathText = Annotated[str, _text(PATH_MAX)]
UrlText = Annotated[str, _text(URL_MAX)]
PartyText = Annotated[str, _text(PARTY_MAX)]
StatusText = Annotated[str, _text(STATUS_MAX)]
ProvisionText = Annotated[str, _text(PROVISION_MAX)]
TopicText = Annotated[str, _text(TOPIC_MAX)]
ShortText = Annotated[str, _text(SHORT_MAX)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


SourceKind = Literal["op-ed", "essay", "news-report"]


class Source(_Entry):
    id: Slug
    title: SourceTitleText
    short: ShortText | None = Field(
        default=None,
        description='a short label, unique among the sources, named beside every quote ("DeTrani 2025"); '
        "without it one is made from the author or outlet and the year",
    )
    author: NameText | None = None
    outlet: NameText | None = None
    published: DateText | None = None
    published_note: NoteText | None = None
    kind: SourceKind
    perspective: PerspectiveText
    text: PathText = Field(description="path of the document's full text, relative to the content folder")
    url: UrlText | None = None

    def label(self) -> str:
        """The short label named beside every quote: `short`, else one made from the author or outlet and year."""
        return self.short or short_label(
            self.title, self.author, self.outlet, self.published.iso() if self.published else None
        )


def short_label(title: str, author: str | None, outlet: str | None, published: str | None) -> str:
    """A source's label when its `short` is not written: the author's surname, else the outlet, else the title's
    first words, then the year (`DeTrani 2025`, `The Washington Times 2025`, `South Korea’s Moon Asks… 2020`)."""
    if author:
        name = author.split()[-1]
    elif outlet:
        name = outlet
    else:
        words = title.split()
        name = " ".join(words[:4]) + ("…" if len(words) > 4 else "")
    return f"{name} {published[:4]}" if published else name


class Citation(_Entry):
    source: Slug = Field(description="id of a source")
    quote: QuoteText = Field(description="a short verbatim extract of the source's text")


Citations = Annotated[list[Citation], Field(min_length=1)]


class PositionCitation(Citation):
    """A citation of a viewpoint position: `holds` says whether its source itself takes the position (true),
    or the quote is context for it (false: what a source reports or describes, not its own stance)."""

    holds: bool = Field(
        default=False,
        description="true when the cited source itself holds this position; a position needs at least one",
    )


PositionCitations = Annotated[list[PositionCitation], Field(min_length=1)]
Tags = Annotated[list[Slug], Field(default_factory=list)]


class Event(_Entry):
    id: Slug
    date: DateText
    date_note: NoteText | None = None
    title: TitleText
    summary: SummaryText
    tags: Tags
    citations: Citations


TreatyKind = Literal["treaty", "agreement", "armistice", "minutes", "bill", "declaration", "plan"]
DateKind = Literal["signed", "agreed", "established", "proposed", "introduced"]


class Treaty(_Entry):
    id: Slug
    name: TitleText
    aliases: Annotated[list[AliasText], Field(default_factory=list)] = Field(
        description="other names, shown to readers: each must appear in the text of a source the treaty cites"
    )
    search_terms: Annotated[list[AliasText], Field(default_factory=list)] = Field(
        description="what people may type to find it (abbreviations, other spellings); searched, never shown"
    )
    kind: TreatyKind
    date: DateText | None = None
    date_kind: DateKind = "signed"
    date_note: NoteText | None = None
    parties: Annotated[list[PartyText], Field(min_length=1)]
    status: StatusText
    summary: SummaryText
    provisions: Annotated[list[ProvisionText], Field(default_factory=list, max_length=10)]
    significance: SummaryText | None = None
    related_events: Annotated[list[Slug], Field(default_factory=list)]
    tags: Tags
    citations: Citations

    def searched_names(self) -> tuple[str, ...]:
        """Every other name search knows it by: the shown aliases, then the search terms."""
        return (*self.aliases, *self.search_terms)


class Fact(_Entry):
    id: Slug
    statement: StatementText
    keywords: Annotated[list[AliasText], Field(default_factory=list)]
    group: Slug | None = Field(
        default=None,
        description="facts answering the same question differently, from different sources, share a group",
    )
    related: Annotated[list[Slug], Field(default_factory=list)]
    tags: Tags
    citations: Citations


class Position(_Entry):
    label: LabelText
    summary: PositionSummaryText
    citations: PositionCitations

    def held_by(self) -> list[str]:
        """The sources that hold this position (their citations say `holds: true`), in citation order."""
        return list(dict.fromkeys(c.source for c in self.citations if c.holds))


class Viewpoint(_Entry):
    id: Slug
    topic: TopicText
    question: QuestionText
    keywords: Annotated[list[AliasText], Field(default_factory=list)]
    related: Annotated[list[Slug], Field(default_factory=list)]
    positions: Annotated[list[Position], Field(min_length=2, max_length=6)]


ANNIVERSARY_FIELDS = frozenset({"year", "years", "ordinal", "title"})


def message_placeholders(message: str) -> set[str]:
    """The `{name}` placeholders of a template; raises ValueError on broken braces."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


class Anniversary(_Entry):
    event: Slug = Field(description="id of a day-precision event")
    message: MessageText = Field(description="wording; may use {year}, {years}, {ordinal}, {title}")


Entry = Source | Event | Treaty | Fact | Viewpoint | Anniversary

KINDS: dict[str, type[Entry]] = {
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


def content_json_schema() -> str:
    """The JSON Schema of a content file, as text (`alliance-bot content schema`, `/content export`)."""
    import json

    schema = ContentFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
