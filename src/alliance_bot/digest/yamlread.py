"""Reading moderator-written YAML safely, keeping the line of every value.

PyYAML's composer gives the node tree with positions; we build plain Python
values from it ourselves so that we can:
- remember the line of every mapping value and list item (errors name the line
  of the node, not of the file start);
- refuse what content files never need and attackers love: aliases (the
  billion-laughs expansion never happens: a node reached twice is refused),
  tags that construct objects, deep nesting, duplicate keys;
- note every plain (unquoted) scalar that YAML 1.1 reads as something other than
  text (`no` → false, `1953-07-27` → a date, `3.10` → 3.1), so a schema error on
  it can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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


class YamlProblem(Exception):
    """A file that cannot be read as content at all; carries the line (1-based) when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Located:
    """Plain Python data plus where each piece came from."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    coerced: dict[Path, str] = field(default_factory=dict)  # path -> the unquoted text YAML converted

    def line_of(self, path: Path) -> int | None:
        """The line of the deepest known node on `path`."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


# libyaml's composer (C) when PyYAML has it: 20-40 times faster than the pure-Python one.
_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_constructor = yaml.SafeLoader("")  # only its construct_* helpers are used


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
    loader = _Composer(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or str(exc)
        if exc.context:
            detail = f"{exc.context}, {detail}"
        raise YamlProblem(f"YAML syntax error: {detail}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlProblem(f"structure nested too deeply (limit {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()
    located = Located(data=None)
    if node is None:
        return located
    located.data = _build(node, (), located, 0, set())
    return located


def _build(node: Node, path: Path, out: Located, depth: int, seen: set[int]) -> Any:
    line = node.start_mark.line + 1
    if id(node) in seen:
        # the composer resolves an alias (*name) to the very node its anchor (&name) labels
        raise YamlProblem("anchors and aliases (&name / *name) are not allowed in content files: write the value "
                          "out", line)
    seen.add(id(node))
    if len(seen) > MAX_NODES:
        raise YamlProblem(f"too many values in one file (limit {MAX_NODES:,}): split it", line)
    if depth > MAX_DEPTH:
        raise YamlProblem(f"structure nested too deeply (limit {MAX_DEPTH} levels)", line)
    if node.tag not in _STANDARD_TAGS:
        raise YamlProblem(f"the tag {node.tag!r} is not allowed in content files", line)
    out.lines.setdefault(path, line)
    if isinstance(node, ScalarNode):
        return _scalar(node, path, out)
    if isinstance(node, SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise YamlProblem(f"the tag {node.tag!r} is not allowed on a list", line)
        return [_build(child, (*path, i), out, depth + 1, seen) for i, child in enumerate(node.value)]
    if isinstance(node, MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise YamlProblem(f"the tag {node.tag!r} is not allowed on a mapping", line)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem("keys must be plain words (no lists, mappings or << merges as keys)", key_line)
            key = key_node.value
            if key in result:
                raise YamlProblem(f"duplicate key {key!r} in the same mapping (the first would be silently lost)",
                                  key_line)
            child = (*path, key)
            out.lines[child] = key_line
            result[key] = _build(value_node, child, out, depth + 1, seen)
            out.lines[child] = key_line
        return result
    raise YamlProblem("unsupported YAML node", line)  # pragma: no cover - the composer makes only these


def _scalar(node: ScalarNode, path: Path, out: Located) -> Any:
    if node.style not in (None, "") or node.tag == "tag:yaml.org,2002:str":  # quoted, block, or text
        return node.value
    try:
        if node.tag == "tag:yaml.org,2002:bool":
            value: Any = _constructor.construct_yaml_bool(node)
        elif node.tag == "tag:yaml.org,2002:int":
            value = _constructor.construct_yaml_int(node)
        elif node.tag == "tag:yaml.org,2002:float":
            value = _constructor.construct_yaml_float(node)
        elif node.tag == "tag:yaml.org,2002:null":
            value = None
        elif node.tag == "tag:yaml.org,2002:timestamp":
            value = _constructor.construct_yaml_timestamp(node)
        else:  # pragma: no cover - filtered by _STANDARD_TAGS
            value = node.value
    except (ValueError, OverflowError):
        # e.g. an unquoted 1953-02-30 looks like a timestamp but is no real date
        out.coerced[path] = node.value
        return node.value
    if node.value != "" or value is not None:
        out.coerced[path] = node.value
    return value
