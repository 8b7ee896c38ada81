"""The checks across files, once every file has passed its own: ids unique across the digest, each
source's text read and every quote found in it (`normalise_for_quote`), references to known entries,
fact groups of two or more, anniversaries of day-dated events with known placeholders; then the
`Digest`, with the fingerprint of each entry.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import TypeVar

from alliance_bot.digest.dates import Precision
from alliance_bot.digest.files import (
    MAX_SOURCE_TEXT_BYTES,
    _NotRegular,
    _Refused,
    _TooLarge,
    confined,
    read_regular,
    shown,
)
from alliance_bot.digest.model import (
    ANNIVERSARY_FIELDS,
    QUOTE_MAX,
    Anniversary,
    Citation,
    Entry,
    Event,
    Fact,
    Source,
    Treaty,
    Viewpoint,
    message_placeholders,
)
from alliance_bot.digest.problems import _Collector
from alliance_bot.digest.result import Digest, Where
from alliance_bot.digest.yamlread import Located
from alliance_bot.digest.yamlread import Path as ValuePath

_Identified = TypeVar("_Identified", Source, Event, Treaty, Fact, Viewpoint)  # the kinds whose entries have an id

_WS = re.compile(r"\s+")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)


def normalise_for_quote(text: str) -> str:
    """Quote matching ignores whitespace and straight-versus-curly quote differences, nothing else."""
    return _WS.sub(" ", text.translate(_QUOTES)).strip()


NEAREST_MIN_RATIO = 0.6  # below this, no passage of the source is offered as the one meant
_EDGE_PUNCTUATION = ".,;:!?\"'()[]“”‘’"
NEAREST_MAX = 25  # quotes not found that get their nearest passage in one load (each costs a search of the text)
SHOWN_QUOTE = 80  # characters of a quote repeated in a problem; a longer one is cut, marked with "…"


def _cut(text: str, limit: int = SHOWN_QUOTE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def nearest_passage(normalised_text: str, quote: str) -> str | None:
    """The passage of a (normalised) source text closest to a quote that is not in it, or None when none is
    close: the windows of the quote's length in words, ranked by the words they share with it (counted as the
    window slides), then the best few aligned character by character (difflib). A moderator copies it."""
    words = normalised_text.split(" ")
    target = normalise_for_quote(quote)
    wanted = target.split(" ")
    n = len(wanted)
    if not words or not target:
        return None
    folded = [w.casefold() for w in words]
    want = Counter(w.casefold() for w in wanted)
    window: Counter[str] = Counter()
    shared = 0
    scores: list[tuple[int, int]] = []
    for i, word in enumerate(folded):
        if window[word] < want[word]:
            shared += 1
        window[word] += 1
        if i >= n:
            old = folded[i - n]
            if window[old] <= want[old]:
                shared -= 1
            window[old] -= 1
        if i >= n - 1:
            scores.append((shared, i - n + 1))
    if not scores:
        scores = [(shared, 0)]
    best: tuple[float, str] = (0.0, "")
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(target)
    for _, start in heapq.nlargest(3, scores):
        for size in range(max(1, n - 2), n + 3):
            for begin in (start - 1, start, start + 1):
                if not 0 <= begin < len(words):
                    continue
                passage = " ".join(words[begin : begin + size])
                matcher.set_seq1(passage)
                if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
                    continue
                ratio = matcher.ratio()
                if ratio > best[0]:
                    best = (ratio, passage)
    if best[0] < NEAREST_MIN_RATIO:
        return None
    kept = best[1].split(" ")
    bare = {w.strip(_EDGE_PUNCTUATION) for w in want}
    # words at the edges that the quote does not have
    while len(kept) > 1 and kept[0].casefold().strip(_EDGE_PUNCTUATION) not in bare:
        kept.pop(0)
    while len(kept) > 1 and kept[-1].casefold().strip(_EDGE_PUNCTUATION) not in bare:
        kept.pop()
    return " ".join(kept)


def _cross_check(
    root: Path,
    entries: Mapping[str, list[tuple[Entry, Where, ValuePath]]],
    locs: Mapping[int, tuple[Located | None, ValuePath, str]],
    col: _Collector,
    *,
    unread: list[str] | None = None,
    invalid_ids: set[str] | None = None,
) -> Digest | None:
    """The digest when every check passes, else None with the problems in `col`.

    `unread` are content files that could not be read at all (a syntax error…): the ids they define are
    unknown, so the checks of references to ids (a citation's source, related events, an anniversary's event)
    are skipped, with one line saying so, instead of reporting every reference into them as unknown.
    `invalid_ids` are ids of entries that failed their schema: a reference to one is not reported as unknown.
    """
    unread = unread or []
    invalid = invalid_ids or set()
    check_references = not unread
    col.skipped_references = 0  # references to ids not found, unreported since a file could not be read

    def report(obj: Entry, loc: ValuePath, message: str) -> None:
        located, prefix, rel = locs[id(obj)]  # located is None for a cached file: this load is redone without
        kind = prefix[0]
        ident = obj.event if isinstance(obj, Anniversary) else obj.id
        name = f"{kind}.{ident}" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        col.add(rel, located.line_of((*prefix, *loc)) if located is not None else None, name, message)

    # ids: unique across the whole digest
    seen: dict[str, Where] = {}
    where: dict[str, Where] = {}

    def unique(kind: str, model: type[_Identified]) -> dict[str, _Identified]:
        """The entries of a kind by id, each id not seen in the kinds before (nor before in this one)."""
        by_id: dict[str, _Identified] = {}
        for obj, w, _ in entries.get(kind, []):
            assert isinstance(obj, model)  # the entries of a kind are its model's (KINDS)
            if obj.id in seen:
                first = seen[obj.id]
                report(obj, ("id",), f"duplicate id {obj.id!r}: already used at {first.file}:{first.line}")
                continue
            seen[obj.id] = w
            where[obj.id] = w
            by_id[obj.id] = obj
        return by_id

    sources = unique("sources", Source)
    events = unique("events", Event)
    treaties = unique("treaties", Treaty)
    facts = unique("facts", Fact)
    viewpoints = unique("viewpoints", Viewpoint)
    by_kind: dict[str, Mapping[str, Entry]] = {
        "sources": sources,
        "events": events,
        "treaties": treaties,
        "facts": facts,
        "viewpoints": viewpoints,
    }

    # short labels: each names one source beside its quotes, so no two may read the same
    short_labels: dict[str, str] = {}
    for src in sources.values():
        label = src.label()
        key = " ".join(label.casefold().split())
        if key in short_labels:
            loc: ValuePath = ("short",) if src.short else ("title",)
            report(
                src,
                loc,
                f"short label {label!r} is already the label of source {short_labels[key]!r}: "
                "write a `short` that tells them apart",
            )
        else:
            short_labels[key] = src.id

    # source texts
    texts: dict[str, str] = {}
    normalised: dict[str, str] = {}
    for src in sources.values():
        try:
            text = read_regular(confined(col.real_root, root / src.text), MAX_SOURCE_TEXT_BYTES).decode("utf-8")
        except _Refused as exc:
            report(src, ("text",), f"{src.text!r} {exc}")
            continue
        except _NotRegular:
            report(src, ("text",), f"text file {src.text!r} is not a regular file")
            continue
        except _TooLarge:
            report(src, ("text",), f"{src.text!r} is larger than {MAX_SOURCE_TEXT_BYTES:,} bytes")
            continue
        except FileNotFoundError:
            report(src, ("text",), f"text file {src.text!r} not found (relative to {shown(root.name)}/)")
            continue
        except UnicodeDecodeError:
            report(src, ("text",), f"text file {src.text!r} is not UTF-8 text")
            continue
        except OSError as exc:
            report(src, ("text",), f"cannot read {src.text!r}: {exc.strerror or exc}")
            continue
        texts[src.id] = text
        normalised[src.id] = normalise_for_quote(text)

    quote_found: dict[tuple[str, str], bool] = {}  # (source, quote) -> found; many entries cite the same lines

    def found_in_source(source: str, quote: str) -> bool:
        found = quote_found.get((source, quote))
        if found is None:
            found = quote_found[(source, quote)] = normalise_for_quote(quote) in normalised[source]
        return found

    searched = [0]  # quotes not found so far, whose nearest passage was looked for

    def check_citations(obj: Entry, citations: Sequence[Citation], prefix: ValuePath) -> None:
        for i, cit in enumerate(citations):
            loc = (*prefix, "citations", i)
            if cit.source not in sources:
                if not check_references:
                    col.skipped_references += 1
                elif cit.source not in invalid:
                    report(obj, (*loc, "source"), f"unknown source {cit.source!r}")
            elif cit.source in normalised and not found_in_source(cit.source, cit.quote):
                searched[0] += 1
                if searched[0] <= NEAREST_MAX:
                    nearest = nearest_passage(normalised[cit.source], cit.quote)
                    hint = (
                        f"the nearest passage of the source is: {_cut(nearest, QUOTE_MAX)!r}"
                        if nearest
                        else "no passage of the source is close to it"
                    )
                else:
                    hint = f"(the nearest passage is shown for the first {NEAREST_MAX} quotes not found)"
                report(
                    obj,
                    (*loc, "quote"),
                    f"quote not found in the text of {cit.source!r} (copy it exactly; only whitespace and "
                    f"straight/curly quotes may differ): {_cut(cit.quote)!r}; {hint}",
                )

    def check_aliases(tr: Treaty) -> None:
        """Every shown alias is a name a cited source itself uses (matched as quotes are)."""
        cited = [c.source for c in tr.citations if c.source in normalised]
        if len(cited) < len(tr.citations):
            return  # a source is unknown or unreadable: reported above
        for i, alias in enumerate(tr.aliases):
            name = normalise_for_quote(alias)
            if not any(name in normalised[source] for source in cited):
                report(
                    tr,
                    ("aliases", i),
                    f"alias {alias!r} is shown to readers, but no source this treaty cites has it "
                    f"({', '.join(dict.fromkeys(cited))}): use the name as the document writes it, "
                    "or move it to `search_terms` (searched, never shown)",
                )

    def check_refs(obj: Entry, field_name: str, ids: list[str], allowed: tuple[str, ...]) -> None:
        for i, ref in enumerate(ids):
            if ref not in invalid and not any(ref in by_kind[k] for k in allowed):
                if not check_references:
                    col.skipped_references += 1
                    continue
                what = " or ".join(k.rstrip("s").replace("treatie", "treaty") for k in allowed)
                report(obj, (field_name, i), f"unknown {what} id {ref!r}")

    for ev in events.values():
        check_citations(ev, ev.citations, ())
    for tr in treaties.values():
        check_citations(tr, tr.citations, ())
        check_aliases(tr)
        check_refs(tr, "related_events", tr.related_events, ("events",))
    for fa in facts.values():
        check_citations(fa, fa.citations, ())
        check_refs(fa, "related", fa.related, ("events", "treaties"))
    for vp in viewpoints.values():
        labels: set[str] = set()
        for p, pos in enumerate(vp.positions):
            check_citations(vp, pos.citations, ("positions", p))
            held = pos.held_by()
            if not held:
                report(
                    vp,
                    ("positions", p, "citations"),
                    f"no citation of position {pos.label!r} says its source holds it (`holds: true`): a position "
                    "is shown only for sources that take it; a quote that is context for it keeps `holds: false`",
                )
            else:
                for c, cit in enumerate(pos.citations):
                    if cit.source not in held:
                        report(
                            vp,
                            ("positions", p, "citations", c, "source"),
                            f"{cit.source!r} is cited for position {pos.label!r}, but none of its citations here "
                            "says it holds the position: a position cites only sources that hold it (mark the quote "
                            "that states it `holds: true`, or cite this one where it belongs)",
                        )
            if pos.label.casefold() in labels:
                report(vp, ("positions", p, "label"), f"two positions share the label {pos.label!r}")
            labels.add(pos.label.casefold())
        check_refs(vp, "related", vp.related, ("events", "treaties"))

    # fact groups: two or more facts, each answering the same question
    groups: dict[str, list[Fact]] = defaultdict(list)
    for fa in facts.values():
        if fa.group:
            groups[fa.group].append(fa)
    for name, members in groups.items():
        if len(members) < 2:
            report(
                members[0],
                ("group",),
                f"group {name!r} has only this fact; a group joins facts that answer one question differently",
            )

    anniversaries: dict[str, Anniversary] = {}
    for ann, _, _ in entries.get("anniversaries", []):
        assert isinstance(ann, Anniversary)  # the entries of a kind are its model's (KINDS)
        found = events.get(ann.event)
        if found is None:
            if not check_references:
                col.skipped_references += 1
            elif ann.event not in invalid:
                report(ann, ("event",), f"unknown event id {ann.event!r}")
        elif found.date.precision is not Precision.DAY:
            report(
                ann,
                ("event",),
                f"event {ann.event!r} is dated to the {found.date.precision.value} "
                f"({found.date.iso()}); an anniversary needs a day",
            )
        if ann.event in anniversaries:
            report(ann, ("event",), f"event {ann.event!r} already has an anniversary entry")
        try:
            unknown = message_placeholders(ann.message) - ANNIVERSARY_FIELDS
            if unknown:
                report(
                    ann,
                    ("message",),
                    f"unknown placeholder(s) {', '.join('{' + u + '}' for u in sorted(unknown))}; "
                    f"use {{year}}, {{years}}, {{ordinal}}, {{title}}",
                )
        except ValueError as exc:
            report(ann, ("message",), f"broken {{placeholder}}: {exc} (write {{{{ and }}}} for literal braces)")
        anniversaries.setdefault(ann.event, ann)

    if not sources and not col.problems:
        col.add(col.rel(root), None, "sources", "no sources defined: every entry must cite one")
    if col.problems or unread:
        return None
    fingerprints: dict[str, str] = {}
    for items in by_kind.values():
        for ident, obj in items.items():
            fingerprints[ident] = hashlib.sha256(obj.model_dump_json().encode()).hexdigest()[:16]
    for ident, ann in anniversaries.items():
        fingerprints[f"anniversary:{ident}"] = hashlib.sha256(ann.model_dump_json().encode()).hexdigest()[:16]
    return Digest(
        root=root,
        sources=sources,
        events=events,
        treaties=treaties,
        facts=facts,
        viewpoints=viewpoints,
        anniversaries=anniversaries,
        source_texts=texts,
        where=where,
        fingerprints=fingerprints,
    )
