"""Reading moderator-written YAML safely, keeping the line of every value.

We build plain Python values from libyaml's parse events ourselves (PyYAML's
composer would first make a node object per value, calling back into Python for
each one: at a hundred times the shipped digest that was most of the reading
time), so that we can:
- remember the line of every mapping value and list item (errors name the line
  of the node, not of the file start);
- refuse what content files never need and attackers love: aliases (the
  billion-laughs expansion never happens: a node reached twice is refused),
  tags that construct objects, deep nesting, duplicate keys;
- note every plain (unquoted) scalar that YAML 1.1 reads as something other than
  text (`no` → false, `1953-07-27` → a date, `3.10` → 3.1), so a schema error on
  it can say so.
The result, and every error with its line and wording, is what composing the
node tree and walking it gave (tests/test_perf_equivalence.py compares them).

Over 400 lines on purpose: it is one state machine over libyaml's events, and
splitting the event loop from its checks would put one invariant in two files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from re import Pattern
from typing import TYPE_CHECKING, Protocol, TypeAlias

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    Event,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from yaml._yaml import Mark as _CMark
    from yaml.error import Mark

    _Mark: TypeAlias = Mark | _CMark  # where an event starts: libyaml's parser makes _CMark, PyYAML's Mark

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 200_000

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}

Path = tuple[str | int, ...]
# what a content file holds: text, and what YAML reads plain scalars as, in lists and mappings
YamlValue: TypeAlias = str | int | float | bool | dt.date | list["YamlValue"] | dict[str, "YamlValue"] | None
_NodeStart: TypeAlias = ScalarEvent | CollectionStartEvent  # the event that starts a node (not an alias)


class YamlProblem(Exception):
    """A file that cannot be read as content at all; carries the line (1-based) when known.

    `message` and `line` are the first problem in the file; `problems` is every one found in it, in document
    order, as (line, message, column): a duplicate key, an alias and a refused tag are all reported at once, so
    a moderator sees them in one run. `column` (1-based) is known for syntax errors.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.problems: list[tuple[int | None, str, int | None]] = [(line, message, column)]


@dataclass
class Located:
    """Plain Python data plus where each piece came from."""

    data: YamlValue
    lines: dict[Path, int] = field(default_factory=dict)
    coerced: dict[Path, str] = field(default_factory=dict)  # path -> the unquoted text YAML converted

    def line_of(self, path: Path) -> int | None:
        """The line of the deepest known node on `path`."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class _EventParser(Protocol):
    """What is used of a loader: its parse events."""

    def get_event(self) -> Event | None: ...
    def peek_event(self) -> Event | None: ...
    def check_event(self, *choices: type[Event]) -> bool: ...
    def dispose(self) -> None: ...


class _Resolver(Protocol):
    """What is used of PyYAML's Resolver, typed (types-PyYAML leaves these untyped)."""

    @property
    def yaml_implicit_resolvers(self) -> Mapping[str | None, list[tuple[str, Pattern[str]]]]:
        """first character (None: any) -> the (tag, regexp) pairs to try on plain text starting with it"""

    @property
    def yaml_path_resolvers(self) -> Mapping[object, object]: ...

    def resolve(self, kind: type[Node], value: str | None, implicit: bool | tuple[bool, bool]) -> str:
        """The tag of a node of `kind` with this text (None: a list or mapping) and implicitness."""


# libyaml's parser (C) when PyYAML has it: 20-40 times faster than the pure-Python one.
_Parser: Callable[[str], _EventParser] = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader
_C_COMPOSER = _Parser is not yaml.SafeLoader  # whose error wording to keep (see _document_events)
_resolver: _Resolver = yaml.resolver.Resolver()
_IMPLICIT_FIRST = _resolver.yaml_implicit_resolvers  # first character -> the resolvers to try
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAGS: dict[str, str] = {}  # a plain scalar's text -> the tag YAML resolves it to
_PLAIN_TAGS_MAX = 100_000

_constructor = yaml.SafeLoader("")  # only its construct_* helpers are used


def _scalar_tag(event: ScalarEvent) -> str:
    """The tag the composer gives a scalar: the explicit one, or the one its text resolves to."""
    tag = event.tag
    if tag is not None and tag != "!":
        return tag
    if _resolver.yaml_path_resolvers or tag is not None:
        return _resolver.resolve(ScalarNode, event.value, event.implicit)
    if not event.implicit[0]:
        return _STR_TAG  # quoted: always text
    # plain: depends on the text alone. Text whose first character no implicit resolver looks at
    # (as Resolver.resolve picks them) is text; the rest is remembered, since the same ids, tags and
    # dates recur.
    value = event.value
    if value and value[0] not in _IMPLICIT_FIRST and None not in _IMPLICIT_FIRST:
        return _STR_TAG
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        tag = _resolver.resolve(ScalarNode, value, event.implicit)
        if len(value) <= 100:
            if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                _PLAIN_TAGS.clear()
            _PLAIN_TAGS[value] = tag
    return tag


def read_yaml(raw: bytes) -> Located:
    """Parse one content file; raise YamlProblem for anything that is not plain, safe data."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblem(
            f"file is {len(raw):,} bytes; content files are limited to {MAX_FILE_BYTES:,} bytes: split it"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line) from None
    if "\x00" in text:
        raise YamlProblem("file contains NUL bytes; it is not a text file", text[: text.index("\x00")].count("\n") + 1)
    if text.startswith("\ufeff"):
        text = text[1:]
    parser = _Parser(text)
    try:
        events = _document_events(parser)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or str(exc)
        if exc.context:
            detail = f"{exc.context}, {detail}"
        hint = _syntax_hint(detail, text, mark.line if mark else None)
        raise YamlProblem(
            f"YAML syntax error: {detail}{hint}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlProblem(f"structure nested too deeply (limit {MAX_DEPTH} levels)") from None
    finally:
        parser.dispose()
    located = Located(data=None)
    if events is None:
        return located
    builder = _Builder(*events, located)
    located.data = builder.value(0, (), 0)[0]
    if builder.problems:
        first_line, first_message = builder.problems[0]
        problem = YamlProblem(first_message, first_line)
        problem.problems = [(line, message, None) for line, message in builder.problems]
        raise problem
    return located


def _syntax_hint(detail: str, text: str, line0: int | None) -> str:
    """What to look at for a syntax error a moderator is likely to make: a tab, or a line indented wrongly."""
    lines = text.splitlines()
    here = lines[line0] if line0 is not None and 0 <= line0 < len(lines) else ""
    above = lines[line0 - 1] if line0 is not None and 0 < line0 <= len(lines) else ""
    indent = here[: len(here) - len(here.lstrip())]
    if "\t" in detail or "\\t" in detail or "\t" in indent or "\t" in above[: len(above) - len(above.lstrip())]:
        return " (YAML does not allow tabs for indentation: indent with spaces)"
    if any(
        words in detail
        for words in ("mapping values are not allowed", "expected <block end>", "could not find expected ':'")
    ):
        return " (check the indentation of this line against the one above)"
    return ""


def _composer_error(
    context: str | None, context_mark: _Mark | None, problem: str, problem_mark: _Mark | None
) -> ComposerError:
    """The error PyYAML's composer raises, at the marks of events.

    types-PyYAML types an error's marks as yaml.error.Mark, but libyaml's events carry yaml._yaml.Mark (the
    same fields), which PyYAML's own C parser and composer put in their errors too.
    """
    return ComposerError(
        context,
        context_mark,  # type: ignore[arg-type]  # stubs: no libyaml Mark
        problem,
        problem_mark,  # type: ignore[arg-type]  # stubs: no libyaml Mark
    )


def _document_events(parser: _EventParser) -> tuple[list[Event], dict[str, _NodeStart]] | None:
    """The events of the file's single document, and its anchors, checked as the composer checks them.

    Everything is parsed before anything is built, so that (as when the whole node tree was
    composed first) a syntax error, an undefined or twice-defined anchor, or a second document
    is reported before any problem with the values.
    """
    parser.get_event()  # stream start
    if parser.check_event(StreamEndEvent):
        return None
    parser.get_event()  # document start
    events: list[Event] = []
    anchors: dict[str, _NodeStart] = {}
    open_collections = 0
    get = parser.get_event
    append = events.append
    while True:
        event = get()
        assert event is not None  # None only follows the stream's end, which follows the document's
        append(event)
        if isinstance(event, (ScalarEvent, CollectionStartEvent)):
            anchor = event.anchor
            if anchor is not None:
                if anchor in anchors:
                    what = (
                        "found duplicate anchor; first occurrence"
                        if _C_COMPOSER
                        else f"found duplicate anchor {anchor!r}; first occurrence"
                    )
                    raise _composer_error(what, anchors[anchor].start_mark, "second occurrence", event.start_mark)
                anchors[anchor] = event
            if not isinstance(event, ScalarEvent):
                open_collections += 1
                continue
        elif isinstance(event, AliasEvent):
            if event.anchor not in anchors:
                what = "found undefined alias" if _C_COMPOSER else f"found undefined alias {event.anchor!r}"
                raise _composer_error(None, None, what, event.start_mark)
        else:  # the end of a list or mapping
            open_collections -= 1
        if not open_collections:  # the document's node is complete
            break
    parser.get_event()  # document end
    if not parser.check_event(StreamEndEvent):
        following = parser.peek_event()
        raise _composer_error(
            "expected a single document in the stream",
            events[0].start_mark,
            "but found another document",
            following.start_mark if following is not None else None,
        )
    return events, anchors


class _Builder:
    """Plain data from a document's events: the checks and line notes of a walk over its node tree.

    A node is the event that starts it; an alias stands for its anchor's node. Every node reached
    as a value or list item is checked, in document order: not reached before (an alias), the number
    of nodes, the depth, the tag. Mapping keys are not values: they must be plain scalars (an alias
    to one counts as that scalar) and are neither counted nor checked further, as before.
    Only an anchored node can be reached twice, so only those are remembered as reached.
    Scalars, most of the nodes, are handled inside the list and mapping loops.
    """

    def __init__(self, events: list[Event], anchors: dict[str, _NodeStart], out: Located) -> None:
        self.events = events
        self.anchors = anchors
        self.out = out
        self.lines = out.lines
        self.reached: set[int] = set()  # anchored nodes reached so far
        self.count = 0  # nodes reached so far
        # problems that do not stop the walk (an alias, a refused tag, a duplicate key), in document order, so
        # that every one of them in a file is reported at once
        self.problems: list[tuple[int, str]] = []
        self.aliased: set[int] = set()  # anchored nodes whose alias was reported

    def _reach(self, node: _NodeStart, depth: int) -> int:
        """The checks every node gets, in order; returns its line."""
        mark = node.start_mark
        assert mark is not None  # the parser marks every event
        line = mark.line + 1
        if node.anchor is not None:
            # an alias (*name) stands for the very node its anchor (&name) labels; said once per anchor
            if id(node) in self.reached and id(node) not in self.aliased:
                self.aliased.add(id(node))
                self.problems.append((line, _ALIAS_MESSAGE))
            self.reached.add(id(node))
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(f"too many values in one file (limit {MAX_NODES:,}): split it", line)
        if depth > MAX_DEPTH:
            raise YamlProblem(f"structure nested too deeply (limit {MAX_DEPTH} levels)", line)
        return line

    def _scalar_value(self, node: ScalarEvent, line: int, path: Path) -> YamlValue:
        tag = _scalar_tag(node)
        if tag not in _STANDARD_TAGS:
            self.problems.append((line, f"the tag {tag!r} is not allowed in content files"))
            return node.value
        return node.value if node.style or tag == _STR_TAG else _scalar(node, tag, path, self.out)

    def value(self, i: int, path: Path, depth: int) -> tuple[YamlValue, int]:
        """The value of the node at events[i] (an alias: its anchor's node) and the position after it."""
        event = self.events[i]
        node: _NodeStart
        if isinstance(event, AliasEvent):
            # its node was reached before (refused by _reach), unless it is a mapping key: a scalar
            via_alias = True
            node = self._anchored(event)
        else:
            via_alias = False
            assert isinstance(event, (ScalarEvent, CollectionStartEvent))  # a value is a node or an alias
            node = event
        line = self._reach(node, depth)
        if isinstance(node, ScalarEvent):
            self.lines.setdefault(path, line)
            return self._scalar_value(node, line, path), i + 1
        if via_alias:  # reported by _reach (a list or mapping is reached where it stands, before any alias)
            return None, i + 1
        is_sequence = isinstance(node, SequenceStartEvent)
        resolved = (
            node.tag
            if node.tag is not None and node.tag != "!"
            else _resolver.resolve(SequenceNode if is_sequence else MappingNode, None, node.implicit)
        )
        if resolved not in _STANDARD_TAGS:
            self.problems.append((line, f"the tag {resolved!r} is not allowed in content files"))
        elif is_sequence and resolved != "tag:yaml.org,2002:seq":
            self.problems.append((line, f"the tag {resolved!r} is not allowed on a list"))
        elif not is_sequence and resolved != "tag:yaml.org,2002:map":
            self.problems.append((line, f"the tag {resolved!r} is not allowed on a mapping"))
        self.lines.setdefault(path, line)
        if is_sequence:
            return self._sequence(i + 1, path, depth + 1)
        return self._mapping(i + 1, path, depth + 1)

    def _anchored(self, alias: AliasEvent) -> _NodeStart:
        """The node an alias stands for (_document_events checked that its anchor is defined)."""
        assert alias.anchor is not None  # an alias always names its anchor
        return self.anchors[alias.anchor]

    def _sequence(self, i: int, path: Path, depth: int) -> tuple[list[YamlValue], int]:
        """Items at `depth`, from events[i] to the end of the list."""
        events = self.events
        lines = self.lines
        items: list[YamlValue] = []
        while True:
            event = events[i]
            if isinstance(event, SequenceEndEvent):
                return items, i + 1
            child = (*path, len(items))
            if isinstance(event, ScalarEvent):
                line = self._reach(event, depth)
                lines[child] = line  # a new path: the first line noted for it
                items.append(self._scalar_value(event, line, child))
                i += 1
            else:
                item, i = self.value(i, child, depth)
                items.append(item)

    def _mapping(self, i: int, path: Path, depth: int) -> tuple[dict[str, YamlValue], int]:
        """Values at `depth`, from events[i] to the end of the mapping."""
        events = self.events
        lines = self.lines
        result: dict[str, YamlValue] = {}
        while True:
            key_node = events[i]
            if isinstance(key_node, MappingEndEvent):
                return result, i + 1
            if isinstance(key_node, AliasEvent):
                key_node = self._anchored(key_node)
            mark = key_node.start_mark
            assert mark is not None  # the parser marks every event
            key_line = mark.line + 1
            if not isinstance(key_node, ScalarEvent):
                raise YamlProblem("keys must be plain words (no lists, mappings or << merges as keys)", key_line)
            key = key_node.value
            if _is_merge_key(key_node) or key in result:
                self.problems.append(
                    (
                        key_line,
                        "keys must be plain words (no lists, mappings or << merges as keys)"
                        if _is_merge_key(key_node)
                        else f"duplicate key {key!r} in the same mapping (the first would be silently lost)",
                    )
                )
                _, i = self.value(i + 1, (*path, f"\0{key}"), depth)  # walked for its own problems, not kept
                continue
            child = (*path, key)
            lines[child] = key_line  # a value's line is its key's
            event = events[i + 1]
            if isinstance(event, ScalarEvent):
                result[key] = self._scalar_value(event, self._reach(event, depth), child)
                i += 2
            else:
                result[key], i = self.value(i + 1, child, depth)


_ALIAS_MESSAGE = "anchors and aliases (&name / *name) are not allowed in content files: write the value out"


def _is_merge_key(node: ScalarEvent) -> bool:
    """Whether a key is `<<` (a merge): only a '<' can begin what resolves to the merge tag."""
    if node.tag is None and not _resolver.yaml_path_resolvers and not node.value.startswith("<"):
        return False
    return _scalar_tag(node) == _MERGE_TAG


def _scalar(event: ScalarEvent, tag: str, path: Path, out: Located) -> YamlValue:
    if event.style or tag == _STR_TAG:  # quoted or block (plain is style '' or None), or text
        return event.value
    # types-PyYAML types a node's marks as yaml.error.Mark, but libyaml's events carry yaml._yaml.Mark (the same
    # fields), as do the nodes PyYAML's own C composer makes
    node = ScalarNode(
        tag,
        event.value,
        event.start_mark,  # type: ignore[arg-type]  # stubs: no libyaml Mark
        event.end_mark,  # type: ignore[arg-type]  # stubs: no libyaml Mark
        event.style,
    )
    try:
        if tag == "tag:yaml.org,2002:bool":
            value: YamlValue = _constructor.construct_yaml_bool(node)
        elif tag == "tag:yaml.org,2002:int":
            value = _constructor.construct_yaml_int(node)
        elif tag == "tag:yaml.org,2002:float":
            value = _constructor.construct_yaml_float(node)
        elif tag == "tag:yaml.org,2002:null":
            value = None
        elif tag == "tag:yaml.org,2002:timestamp":
            value = _constructor.construct_yaml_timestamp(node)
        else:  # pragma: no cover - filtered by _STANDARD_TAGS
            value = event.value
    except (ValueError, OverflowError):
        # e.g. an unquoted 1953-02-30 looks like a timestamp but is no real date
        out.coerced[path] = event.value
        return event.value
    if event.value != "" or value is not None:
        out.coerced[path] = event.value
    return value
