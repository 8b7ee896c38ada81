"""What a load gives back: a `Problem` (`file:line: field: message`) and the `Where` of an entry, the
validated `Digest`, the `LoadResult` (the digest, or every problem), and the `Diff` of two digests'
entries (`diff_digests`), by the fingerprints of their entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from alliance_bot.digest.model import Anniversary, Event, Fact, Source, Treaty, Viewpoint


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str
    column: int | None = None  # 1-based, when known (a YAML syntax error): `file:line:column:` opens there

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.line and self.column:
            where += f":{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def opened_from(self, parent: Path) -> Problem:
        """This problem with its file as a path that opens from where a command ran: `file` is relative to the
        content folder's parent, and `parent` is that folder's parent as the command was given it."""
        if Path(self.file).is_absolute() or parent == Path("."):
            return self
        return replace(self, file=str(parent / self.file))


@dataclass(frozen=True)
class Where:
    file: str
    line: int | None


@dataclass
class Digest:
    """The validated content, read-only once built."""

    root: Path
    sources: dict[str, Source]
    events: dict[str, Event]
    treaties: dict[str, Treaty]
    facts: dict[str, Fact]
    viewpoints: dict[str, Viewpoint]
    anniversaries: dict[str, Anniversary]  # by event id
    source_texts: dict[str, str]
    where: dict[str, Where] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)  # id -> hash of the entry
    version: str = ""

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "events": len(self.events),
            "treaties": len(self.treaties),
            "facts": len(self.facts),
            "viewpoints": len(self.viewpoints),
            "anniversaries": len(self.anniversaries),
        }

    def summary_line(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.counts().items())

    def kind_of(self, entry_id: str) -> str | None:
        for kind in ("sources", "events", "treaties", "facts", "viewpoints"):
            if entry_id in getattr(self, kind):
                return kind
        return None

    def facts_in_group(self, group: str) -> list[Fact]:
        return [f for f in self.facts.values() if f.group == group]


@dataclass
class LoadResult:
    digest: Digest | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.digest is not None and not self.problems


@dataclass
class Diff:
    added: list[str]
    changed: list[str]
    removed: list[str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def diff_digests(old: Digest | None, new: Digest) -> Diff:
    before = old.fingerprints if old else {}
    after = new.fingerprints
    return Diff(
        added=sorted(set(after) - set(before)),
        changed=sorted(k for k in after.keys() & before.keys() if after[k] != before[k]),
        removed=sorted(set(before) - set(after)),
    )
