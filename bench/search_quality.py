"""Search quality: does each lookup answer what the digest answers, and say "nothing" for the rest?

For every question set it prints, beside a plain BM25 ranking over the source documents' sentences
(the "just search the articles" alternative, which never abstains):
- `fact` top-1 and top-3 on answerable questions (the right entry first / among the first three);
- answered: the share of answerable questions answered (`answered` true) with the right entry first;
- nothing: the share of unanswerable questions that get no answer (no results, or `answered` false);
- treaty and viewpoint top-1 and nothing, where the set has such questions.

Question sets: the shared development questions (../shared/eval/dev_questions.yaml), the held-out
questions of bench/holdout_questions.yaml, and bench/abstain_questions.yaml and bench/korean_questions.yaml
(the same in Korean), whose `split: tune` part may be used to calibrate and whose `split: heldout` part never
is. Prints figures; never fails.

    python bench/search_quality.py [--questions PATH ...] [--content DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alliance_bot.answers.index import SearchDoc, SearchIndex
from alliance_bot.answers.service import Answers
from alliance_bot.digest.loader import load_digest
from alliance_bot.digest.result import Digest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.yaml"
DEFAULT_SETS = [
    DEV,
    ROOT / "bench" / "holdout_questions.yaml",
    ROOT / "bench" / "abstain_questions.yaml",
    ROOT / "bench" / "korean_questions.yaml",  # the same kinds of question, asked in Korean (#18)
]


def _squash(text: str) -> str:
    return re.sub(r"[,\s]", "", text).casefold()


def passes(texts: list[str], expected: list[str], k: int) -> bool:
    wanted = [_squash(e) for e in expected]
    return any(w in _squash(t) for t in texts[:k] for w in wanted)


def sentence_baseline(digest: Digest) -> SearchIndex[None]:
    docs = []
    for sid, text in digest.source_texts.items():
        for i, sentence in enumerate(re.split(r"(?<=[.!?])\s+|\n+", text)):
            if sentence.strip():
                docs.append(SearchDoc(f"{sid}:{i}", "sentence", {"text": sentence.strip()}))
    return SearchIndex(docs, {"text": 1.0}, fuzzy=False, synonyms=False)


@dataclass
class Tally:
    answerable: int = 0
    top1: int = 0
    top3: int = 0
    answered: int = 0
    base1: int = 0
    base3: int = 0
    unanswerable: int = 0
    nothing: int = 0
    misses: list[str] = field(default_factory=list)

    def share(self, part: int, whole: int) -> str:
        return f"{part / whole:.2f}" if whole else "  - "


def _answered(answer: Any) -> bool:
    return bool(answer.results) and bool(getattr(answer, "answered", True))


def run_facts(answers: Answers, baseline: SearchIndex[None], questions: list[dict[str, Any]], verbose: bool) -> Tally:
    t = Tally()
    for q in questions:
        a = answers.fact(q["q"])
        if q.get("none"):
            t.unanswerable += 1
            if not _answered(a):
                t.nothing += 1
            elif verbose:
                t.misses.append(f"answered, should be nothing [{q.get('kind', '')}]: {q['q']!r} -> {a.results[0].id}")
            continue
        t.answerable += 1
        texts = [r.text for r in a.results]
        btexts = [h.doc.fields["text"] for h in baseline.search(q["q"], limit=3)]
        t.top1 += passes(texts, q["any"], 1)
        t.top3 += passes(texts, q["any"], 3)
        t.base1 += passes(btexts, q["any"], 1)
        t.base3 += passes(btexts, q["any"], 3)
        ok = _answered(a) and passes(texts, q["any"], 1)
        t.answered += ok
        if verbose and not ok:
            got = f"{'answered' if _answered(a) else 'nothing'}: {[r.id for r in a.results[:2]]}"
            t.misses.append(f"not answered right: {q['q']!r} -> {got}")
    return t


def run_named(lookup: Any, names_of: Any, questions: list[dict[str, Any]], verbose: bool, what: str) -> Tally:
    t = Tally()
    for q in questions:
        a = lookup(q["q"])
        if q.get("none"):
            t.unanswerable += 1
            if not _answered(a) or getattr(a, "ambiguous", False):
                t.nothing += 1
            elif verbose:
                t.misses.append(f"{what} answered, should be nothing: {q['q']!r} -> {names_of(a)[:1]}")
            continue
        t.answerable += 1
        names = names_of(a)
        first = passes(names, q["any"], 1)
        t.top1 += first
        t.answered += first and _answered(a) and not getattr(a, "ambiguous", False)
        if verbose and not first:
            t.misses.append(f"{what} wrong: {q['q']!r} -> {names[:2]}")
    return t


def _split(items: list[dict[str, Any]], split: str | None) -> list[dict[str, Any]]:
    return [q for q in items if split is None or q.get("split", "tune") == split]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--questions", type=Path, action="append", help="a question file (repeatable)")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--verbose", "-v", action="store_true", help="list the questions each lookup gets wrong")
    args = parser.parse_args(argv)
    sets = args.questions or [p for p in DEFAULT_SETS if p.is_file()]
    missing = [p for p in sets if not p.is_file()]
    if missing or not sets:
        print(
            f"search_quality: no question file at {missing[0] if missing else DEV} (the shared development "
            "questions sit beside the checkout in ../shared/eval/); pass --questions, e.g. "
            "bench/holdout_questions.yaml",
            file=sys.stderr,
        )
        return 2
    result = load_digest(args.content)
    if not result.ok or result.digest is None:
        print("content has problems; run alliance-bot content check", file=sys.stderr)
        return 1
    answers = Answers(result.digest)
    baseline = sentence_baseline(result.digest)
    header = (
        f"{'questions':<34}{'n':>5}{'top-1':>7}{'top-3':>7}{'answered':>9}{'n none':>8}{'nothing':>8}"
        f"{'  BM25 top-1':>12}{'top-3':>7}"
    )
    print("fact")
    print(header)
    named: list[tuple[str, Tally, Tally]] = []
    misses: list[str] = []
    for path in sets:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        has_splits = any("split" in q for q in data.get("facts", []))
        for split in ("tune", "heldout") if has_splits else (None,):
            label = path.stem + (f" ({split})" if split else "")
            t = run_facts(answers, baseline, _split(data.get("facts", []), split), args.verbose)
            misses += [f"{label}: {m}" for m in t.misses]
            print(
                f"{label:<34}{t.answerable:>5}{t.share(t.top1, t.answerable):>7}{t.share(t.top3, t.answerable):>7}"
                f"{t.share(t.answered, t.answerable):>9}{t.unanswerable:>8}{t.share(t.nothing, t.unanswerable):>8}"
                f"{t.share(t.base1, t.answerable):>12}{t.share(t.base3, t.answerable):>7}"
            )
            if data.get("treaties") or data.get("viewpoints"):
                tt = run_named(
                    answers.treaty,
                    lambda a: [r.name for r in a.results],
                    _split(data.get("treaties", []), split),
                    args.verbose,
                    "treaty",
                )
                vt = run_named(
                    answers.viewpoints,
                    lambda a: [f"{r.topic} {r.question}" for r in a.results],
                    _split(data.get("viewpoints", []), split),
                    args.verbose,
                    "viewpoints",
                )
                misses += [f"{label}: {m}" for m in tt.misses + vt.misses]
                named.append((label, tt, vt))
        for d in data.get("today", []) if path == DEV else []:
            events = answers.today(d["date"]).events
            if not passes([f"{e.title} {e.summary}" for e in events], d["any"], 3):
                misses.append(f"today {d['date']}: expected {d['any']}")
    if named:
        print("\ntreaty and viewpoints")
        print(f"{'questions':<34}{'n':>5}{'top-1':>7}{'answered':>9}{'n none':>8}{'nothing':>8}")
        for label, tt, vt in named:
            for what, t in (("treaty", tt), ("viewpoints", vt)):
                print(
                    f"{label + ' ' + what:<34}{t.answerable:>5}{t.share(t.top1, t.answerable):>7}"
                    f"{t.share(t.answered, t.answerable):>9}{t.unanswerable:>8}{t.share(t.nothing, t.unanswerable):>8}"
                )
    for m in misses:
        print("  miss:", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
